import { Link } from 'react-router';

export default function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is no such page in the console. Go to the <Link to="/">dashboard</Link>.
      </p>
    </>
  );
}
