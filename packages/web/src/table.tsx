import type { ReactNode } from "react";

/** A list: scrolls sideways on a narrow screen, captioned for screen readers, one header row; `children` are rows. */
export function Table({
  caption,
  columns,
  actions,
  className,
  children,
}: {
  caption: string;
  columns: string[];
  /** A last, unlabelled column of row buttons. */
  actions?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            {actions ? (
              <th scope="col" className="actions-head">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A row's button; `name` says for screen readers what it acts on ("Revoke ci-deploy"). */
export function RowButton({
  label,
  name,
  danger,
  disabled,
  onClick,
}: {
  label: string;
  name: string;
  danger?: boolean;
  disabled?: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      className={danger ? "button small danger" : "button small"}
      disabled={disabled}
      aria-label={name}
      onClick={onClick}
    >
      {label}
    </button>
  );
}

/** A description cell: the text, or a dash when there is none. */
export function DescriptionCell({ text }: { text: string | null | undefined }) {
  return (
    <td className="desc">
      {text ? (
        <span className="clamp" title={text}>
          {text}
        </span>
      ) : (
        <span className="muted">—</span>
      )}
    </td>
  );
}
