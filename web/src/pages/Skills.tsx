import { Link } from 'react-router';

import { usePaged } from '../api/hooks';
import type { Skill } from '../api/types';
import { useUser } from '../auth';
import { Empty, ErrorMessage, Loading, Pager } from '../components/ui';

export default function Skills() {
  const user = useUser();
  const skills = usePaged<Skill>(['skills'], '/skills');
  return (
    <>
      <h1>Skills</h1>
      <p>
        Scripts an admin defined, run on request by the workers. Open one to run it and see its
        runs.
      </p>
      {user.role === 'admin' && (
        <p>
          <Link to="/skills/new" role="button">
            New skill
          </Link>
        </p>
      )}
      {skills.isPending ? (
        <Loading what="Loading skills" />
      ) : skills.error ? (
        <ErrorMessage error={skills.error} />
      ) : skills.data.total === 0 ? (
        <Empty>
          No skills yet.{' '}
          {user.role === 'admin' ? 'Create one with “New skill”.' : 'Ask an admin to define one.'}
        </Empty>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Skills">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Description</th>
                  <th scope="col">Timeout</th>
                </tr>
              </thead>
              <tbody>
                {skills.data.data.map((s) => (
                  <tr key={s.name}>
                    <td>
                      <Link to={`/skills/${s.name}`}>{s.name}</Link>
                    </td>
                    <td>{s.description}</td>
                    <td>{(s.timeout_ms / 1000).toLocaleString()} s</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Skills"
            total={skills.data.total}
            limit={skills.limit}
            offset={skills.offset}
            onChange={skills.setOffset}
          />
        </>
      )}
    </>
  );
}
