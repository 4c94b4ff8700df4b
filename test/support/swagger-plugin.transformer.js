// The @nestjs/swagger CLI plugin as a ts-jest AST transformer. `nest build` runs it (nest-cli.json), so
// the tests must too, or they would see a document without the schemas it infers. Same options as the build.
const plugin = require('@nestjs/swagger/plugin');

const nestCli = require('../../nest-cli.json');

const { options } = nestCli.compilerOptions.plugins.find((p) => p.name === '@nestjs/swagger');

module.exports = {
  name: 'nestjs-swagger-plugin',
  version: 2,
  // ts-jest calls this for every file it emits. `compiler.program` is the language service's first
  // program, whose type checker does not know the files as they are being emitted: ask for the current one.
  factory: (compiler) =>
    plugin.before(options, compiler._languageService?.getProgram() ?? compiler.program),
};
