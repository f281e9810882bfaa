import { useId, useState, type ReactNode } from "react";

/** The lifetime choices of a new token: 7/30/90 days, a chosen date, or no expiry. */
export type Lifetime = "7" | "30" | "90" | "custom" | "never";

/** `expiresAt` for a lifetime choice (the end of the chosen day, in local time, for a custom date). */
export function expiryOf(lifetime: Lifetime, customDate: string): string | null {
  if (lifetime === "never") return null;
  if (lifetime === "custom") return new Date(`${customDate}T23:59:59`).toISOString();
  return new Date(Date.now() + Number(lifetime) * 86_400_000).toISOString();
}

/** The lifetime picker shared by the token dialog and the CLI approval page. */
export function LifetimeField({
  lifetime,
  customDate,
  onChange,
}: {
  lifetime: Lifetime;
  customDate: string;
  onChange: (lifetime: Lifetime, customDate: string) => void;
}) {
  const name = useId();
  const dateId = useId();
  const choices: [Lifetime, string][] = [
    ["7", "7 days"],
    ["30", "30 days"],
    ["90", "90 days"],
    ["custom", "Custom date"],
    ["never", "No expiry"],
  ];
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  return (
    <fieldset className="field lifetime">
      <legend>Lifetime</legend>
      <div className="choices">
        {choices.map(([value, label]) => (
          <label key={value} className="choice">
            <input type="radio" name={name} value={value} checked={lifetime === value} onChange={() => onChange(value, customDate)} />
            {label}
          </label>
        ))}
      </div>
      {lifetime === "custom" ? (
        <div className="inline-field">
          <label htmlFor={dateId}>Expires at the end of</label>
          <input id={dateId} type="date" required min={tomorrow} value={customDate} onChange={(e) => onChange("custom", e.target.value)} />
        </div>
      ) : null}
      {lifetime === "never" ? <p className="hint warn-text">A token without expiry works until it is revoked.</p> : null}
    </fieldset>
  );
}

/** A lifetime choice (30 days to begin with): the picker to show, and the `expiresAt` it stands for. */
export function useLifetime(): { field: ReactNode; expiresAt: () => string | null } {
  const [lifetime, setLifetime] = useState<Lifetime>("30");
  const [customDate, setCustomDate] = useState("");
  const field = (
    <LifetimeField
      lifetime={lifetime}
      customDate={customDate}
      onChange={(l, d) => {
        setLifetime(l);
        setCustomDate(d);
      }}
    />
  );
  return { field, expiresAt: () => expiryOf(lifetime, customDate) };
}
