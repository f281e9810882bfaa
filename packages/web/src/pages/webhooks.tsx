import type { Entity, Webhook } from "@latchkey/sdk";
import { useState } from "react";
import { client } from "../api";
import { Badge, ErrorBox, PageHead, Status, Time, useAction, useLoad } from "../ui";
import { DescriptionCell, RowButton, Table } from "../table";
import { AddWebhookDialog, DeleteWebhookDialog } from "./webhook-dialogs";

type Open = { kind: "add" } | { kind: "delete"; webhook: Webhook } | null;

/** The delivery log of one webhook, newest first. */
function Deliveries({ entity, webhook }: { entity: Entity; webhook: Webhook }) {
  const deliveries = useLoad(() => client.webhooks(entity).deliveries(webhook.id, { perPage: 50 }), [entity.type, entity.id, webhook.id]);
  return (
    <section className="deliveries" aria-label={`Deliveries to ${webhook.url}`}>
      <h2>
        Deliveries to <code>{webhook.url}</code>{" "}
        <button type="button" className="button small" onClick={deliveries.reload}>
          Refresh
        </button>
      </h2>
      <Status state={deliveries} empty="No deliveries yet.">
        {(page) => (
          <Table caption="Deliveries" columns={["Event", "Created", "Status", "Attempts", "Last reply", "Next attempt"]}>
            {page.items.map((d) => (
              <tr key={d.id} data-delivery-id={d.id}>
                <th scope="row">
                  <code>{d.eventType}</code> <span className="muted small">{d.id}</span>
                </th>
                <td>
                  <Time at={d.createdAt} />
                </td>
                <td>
                  <Badge tone={d.status === "delivered" ? "ok" : d.status === "failed" ? "bad" : "warn"}>{d.status}</Badge>
                </td>
                <td>{d.attempt}</td>
                <td>{d.lastStatusCode ?? d.lastError ?? "—"}</td>
                <td>
                  <Time at={d.nextAttemptAt} never="—" />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
    </section>
  );
}

/** Settings → Webhooks of a team or an organisation: add, test, pause, delete, and inspect deliveries. */
export function WebhooksPage({ entity }: { entity: Entity }) {
  const webhooks = useLoad(() => client.webhooks(entity).all(), [entity.type, entity.id]);
  const [open, setOpen] = useState<Open>(null);
  const [shown, setShown] = useState<Webhook | null>(null);
  const [tick, setTick] = useState(0);
  const action = useAction();
  const sendTest = async (w: Webhook) => {
    if (await action.run(() => client.webhooks(entity).test(w.id))) {
      setShown(w);
      setTick((t) => t + 1);
    }
  };
  const setEnabled = async (w: Webhook, enabled: boolean) => {
    if (await action.run(() => client.webhooks(entity).update(w.id, { enabled }))) webhooks.reload();
  };

  return (
    <div className="page">
      <PageHead
        title="Webhooks"
        description="Latchkey POSTs token and role events to these addresses, signed per Standard Webhooks, and retries failures for about a day."
      >
        <button type="button" className="button primary" onClick={() => setOpen({ kind: "add" })}>
          Add webhook
        </button>
      </PageHead>
      <ErrorBox error={action.error} />
      <Status state={webhooks} empty="No webhooks yet.">
        {(list) => (
          <Table caption="Webhooks" columns={["URL", "Description", "Events", "Created", "Status"]} actions>
            {list.map((w) => (
              <tr key={w.id} className={w.enabled ? undefined : "inactive"} data-webhook-id={w.id}>
                <th scope="row">
                  <code>{w.url}</code>
                </th>
                <DescriptionCell text={w.description} />
                <td>{w.events.join(", ")}</td>
                <td>
                  <Time at={w.createdAt} />
                </td>
                <td>
                  <Badge tone={w.enabled ? "ok" : "muted"}>{w.enabled ? "Enabled" : "Paused"}</Badge>
                </td>
                <td className="row-actions">
                  <RowButton
                    label="Send test"
                    name={`Send a test event to ${w.url}`}
                    disabled={action.busy}
                    onClick={() => void sendTest(w)}
                  />
                  <RowButton label="Deliveries" name={`Deliveries to ${w.url}`} onClick={() => setShown(w)} />
                  <RowButton
                    label={w.enabled ? "Pause" : "Resume"}
                    name={`${w.enabled ? "Pause" : "Resume"} ${w.url}`}
                    disabled={action.busy}
                    onClick={() => void setEnabled(w, !w.enabled)}
                  />
                  <RowButton label="Delete" name={`Delete ${w.url}`} danger onClick={() => setOpen({ kind: "delete", webhook: w })} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Status>
      {shown ? <Deliveries key={`${shown.id}:${tick}`} entity={entity} webhook={shown} /> : null}
      {open?.kind === "add" ? <AddWebhookDialog entity={entity} onClose={() => setOpen(null)} onAdded={webhooks.reload} /> : null}
      {open?.kind === "delete" ? (
        <DeleteWebhookDialog
          entity={entity}
          webhook={open.webhook}
          onClose={() => setOpen(null)}
          onDone={() => {
            if (shown?.id === open.webhook.id) setShown(null);
            webhooks.reload();
          }}
        />
      ) : null}
    </div>
  );
}
