import { describe, expect, it } from "vitest";
import type { AuditEventsTable } from "../store/schema.js";
import { expectedHash, hashEvent, hashRequest, requestPlace, requestText } from "./chain.js";

// Fixed vectors of both hash forms. Every stored chain must keep verifying after an upgrade, so what a hash covers is
// frozen: a field left out or read differently (mutation testing found that nothing held this: the same code writes
// and verifies, so a change agrees with itself) changes these values. Every optional field is set, then unset.

const full: AuditEventsTable = {
  id: "evt_0001",
  feed: "token:tok_1",
  seq: 7,
  entity_type: "team",
  entity_id: "web",
  at: "2026-01-02T03:04:05.006Z",
  event_type: "request",
  actor_type: "apiToken",
  actor_id: "tok_1",
  actor_email: "owner@example.com",
  token_id: "tok_1",
  origin: "cli",
  outcome: "denied",
  status: 403,
  method: "DELETE",
  path: "/v1/projects/site",
  resource_type: "projects",
  resource_id: "site",
  ip: "203.0.113.9",
  user_agent: "latchkey-cli/1.0",
  duration_ms: 12,
  details: '{"permission":"project.delete"}',
  prev_hash: "p".repeat(64),
  hash: "",
};
const bare: AuditEventsTable = { ...full, actor_email: null, token_id: null, resource_type: null, resource_id: null, duration_ms: null };

describe("audit hash vectors (frozen: stored chains must verify after an upgrade)", () => {
  it("the hex form over every field (change events, and request events stored before the segment form)", () => {
    expect(hashEvent(full)).toBe("48697110bb3b764abe444acd71d96c94ee7c3a2ef03b5cd7919e9d94d4178ad7");
    expect(hashEvent(bare)).toBe("46d7a4045843881c5c3cd7ff29911fe72cf7b7da2cb20b3840edea5e4614863e");
    expect(expectedHash({ ...full, hash: "x".repeat(64) })).toBe(hashEvent(full));
  });

  it("the segment form: previous hash, seq, the segment's place and the event's own fields", () => {
    expect(requestPlace(full)).toBe('["token:tok_1","team","web","apiToken","tok_1","tok_1"]');
    expect(requestPlace(bare)).toBe('["token:tok_1","team","web","apiToken","tok_1",null]');
    expect(requestText(full)).toBe(
      '["evt_0001","2026-01-02T03:04:05.006Z","request","owner@example.com","cli","denied",403,"DELETE","/v1/projects/site","projects","site","203.0.113.9","latchkey-cli/1.0",12,"{\\"permission\\":\\"project.delete\\"}"]',
    );
    expect(requestText(bare)).toBe(
      '["evt_0001","2026-01-02T03:04:05.006Z","request",null,"cli","denied",403,"DELETE","/v1/projects/site",null,null,"203.0.113.9","latchkey-cli/1.0",null,"{\\"permission\\":\\"project.delete\\"}"]',
    );
    expect(hashRequest(full.prev_hash, full.seq, requestPlace(full), requestText(full))).toBe(
      "2yA5ux6u4Dw0q8w37m99t24Wx29JM3B45CoXM0RhpE4",
    );
    expect(expectedHash({ ...full, hash: "y".repeat(43) })).toBe("2yA5ux6u4Dw0q8w37m99t24Wx29JM3B45CoXM0RhpE4");
  });
});
