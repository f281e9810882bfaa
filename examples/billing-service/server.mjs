// A small billing API guarded by Latchkey through the SDK verifier (README.md in this folder: the walkthrough).
//   LATCHKEY_URL=http://127.0.0.1:8080 SERVICE_TOKEN=<token of a role with team.apis.verify> npm run example
import Fastify from "fastify";
import { latchkeyPlugin } from "../../packages/sdk/dist/middleware/index.js";
import { createVerifier } from "../../packages/sdk/dist/verifier/index.js";

const url = process.env.LATCHKEY_URL ?? "http://127.0.0.1:8080";
const token = process.env.SERVICE_TOKEN;
if (!token) {
  process.stderr.write("SERVICE_TOKEN is required: a Latchkey token whose role holds team.apis.verify (see README.md)\n");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);

const verifier = createVerifier({ url, token, graceMs: 5000 });
// Behind a proxy: Fastify({ trustProxy: "<the proxy's CIDRs>" }), so that request.ip, which tokens' IP allow-lists are
// held to, is the client's address and not the proxy's.
const app = Fastify({ logger: false });
await app.register(latchkeyPlugin, { verifier });

const invoices = [{ id: "inv_1", amount: 4200, currency: "EUR" }];
app.get("/healthz", { config: { latchkey: false } }, () => ({ ok: true }));
app.get("/invoices", { config: { latchkey: { permissions: ["billing:invoices.read"] } } }, (request) => ({
  invoices,
  caller: request.latchkey?.token?.name,
}));
app.post("/invoices", { config: { latchkey: { permissions: ["billing:invoices.write"] } } }, (request) => {
  const invoice = { id: `inv_${invoices.length + 1}`, amount: 100, currency: "EUR" };
  invoices.push(invoice);
  return { invoice, caller: request.latchkey?.token?.name };
});

const close = async () => {
  verifier.close();
  await app.close();
  process.exit(0);
};
process.once("SIGINT", close);
process.once("SIGTERM", close);
await app.listen({ port, host: "127.0.0.1" });
process.stdout.write(`billing service on http://127.0.0.1:${port}, verifying tokens with ${url}\n`);
