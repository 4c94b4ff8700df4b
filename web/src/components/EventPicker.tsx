import { ADMIN_EVENTS, EVENTS } from '../api/types';

/** The events a webhook listens to: "*" or a list; admins also get the user and config events. */
export function EventPicker({
  value,
  onChange,
  admin,
  invalid,
}: {
  value: string[];
  onChange: (events: string[]) => void;
  admin: boolean;
  invalid?: string;
}) {
  const names = admin ? [...EVENTS, ...ADMIN_EVENTS] : [...EVENTS];
  const all = value.includes('*');
  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...value.filter((v) => v !== name), name] : value.filter((v) => v !== name));
  return (
    <fieldset
      aria-invalid={invalid ? true : undefined}
      aria-describedby={invalid ? 'events-problem' : undefined}
    >
      <legend>Events</legend>
      <label>
        <input
          type="checkbox"
          checked={all}
          onChange={(e) => onChange(e.target.checked ? ['*'] : [])}
        />
        Every event (<code>*</code>)
      </label>
      <div className="checkbox-grid">
        {names.map((name) => (
          <label key={name}>
            <input
              type="checkbox"
              disabled={all}
              checked={all || value.includes(name)}
              onChange={(e) => toggle(name, e.target.checked)}
            />
            {name}
          </label>
        ))}
      </div>
      {invalid && (
        <small id="events-problem" className="field-error">
          {invalid}
        </small>
      )}
    </fieldset>
  );
}

export function validUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
