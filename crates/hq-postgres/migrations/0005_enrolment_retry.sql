-- The request id each enrolment came with, so that its retry (HQ's answer lost) succeeds
-- with the same token (docs/sync.md, "Enrolment"). IF NOT EXISTS: reruns are harmless.
CREATE TABLE IF NOT EXISTS enrolment_requests (
    token   TEXT PRIMARY KEY REFERENCES enrolment_tokens(hash),
    request TEXT NOT NULL
);
