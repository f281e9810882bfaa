import { useState } from "react";
import { Field } from "./ui";

/** The shortest password the server accepts. */
export const PASSWORD_MIN_LENGTH = 12;

/**
 * What is wrong with a new password and its repetition as they stand now, so that what the form says always matches
 * what is in the fields. A repetition still being typed (the start of the password) is not yet wrong; once the form
 * was submitted, anything but the password is. Empty fields are the browser's `required` to report.
 */
export function passwordProblems(password: string, repeat: string, submitted: boolean): { password?: string; repeat?: string } {
  const short = password !== "" && password.length < PASSWORD_MIN_LENGTH;
  const differs = repeat !== "" && repeat !== password && (submitted || !password.startsWith(repeat));
  return {
    ...(short ? { password: `Too short: ${password.length} of at least ${PASSWORD_MIN_LENGTH} characters.` } : {}),
    ...(differs ? { repeat: "Does not match the password above." } : {}),
  };
}

/**
 * A new password and its repetition, each with the problem its current value has, updated as the person types. The
 * form calls `check()` on submit: false (and the problems shown) when the fields cannot be sent as they are.
 * `onEdit` runs on every change: a form clears there the server's answer to what was sent before.
 */
export function usePasswordFields(labels: { password: string; repeat: string }, onEdit: () => void = () => undefined) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const problems = passwordProblems(password, repeat, submitted);
  const input = (id: string, value: string, set: (value: string) => void, problem: string | undefined) => (
    <input
      id={id}
      type="password"
      autoComplete="new-password"
      minLength={PASSWORD_MIN_LENGTH}
      required
      aria-invalid={problem ? true : undefined}
      value={value}
      onChange={(e) => {
        set(e.target.value);
        onEdit();
      }}
    />
  );
  const fields = (
    <>
      <Field label={labels.password} hint={`At least ${PASSWORD_MIN_LENGTH} characters.`} error={problems.password}>
        {(id) => input(id, password, setPassword, problems.password)}
      </Field>
      <Field label={labels.repeat} error={problems.repeat}>
        {(id) => input(id, repeat, setRepeat, problems.repeat)}
      </Field>
    </>
  );
  const check = (): boolean => {
    setSubmitted(true);
    return Object.keys(passwordProblems(password, repeat, true)).length === 0;
  };
  return { password, fields, check };
}

/**
 * A password the person already has (signing in, proving who they are). `onEdit` runs on every change: a form clears
 * there the server's answer to what was sent before.
 */
export function CurrentPasswordField({
  label,
  value,
  onChange,
  onEdit,
  autoFocus,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  onEdit: () => void;
  autoFocus?: boolean;
}) {
  return (
    <Field label={label}>
      {(id) => (
        <input
          id={id}
          type="password"
          autoComplete="current-password"
          required
          autoFocus={autoFocus}
          value={value}
          onChange={(e) => {
            onChange(e.target.value);
            onEdit();
          }}
        />
      )}
    </Field>
  );
}
