import type { Role } from "@latchkey/sdk";
import type { ReactNode } from "react";
import { Field } from "../ui";

/** The role a new token is made from: "name (id)" choices, with `placeholder` until one is chosen. */
export function RoleSelect({
  roles,
  value,
  onChange,
  placeholder,
  hint,
  disabled,
}: {
  roles: Role[] | undefined;
  value: string;
  onChange: (roleId: string) => void;
  placeholder: string;
  hint?: ReactNode;
  disabled?: boolean;
}) {
  return (
    <Field label="Role" hint={hint}>
      {(id) => (
        <select id={id} required value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
          <option value="">{placeholder}</option>
          {(roles ?? []).map((r) => (
            <option key={r.id} value={r.id}>
              {r.name} ({r.id})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
