-- The technical journal goes to HQ (docs/fiscal.md): each new entry is queued in the outbox
-- by `journal::record`. A shop made before that has entries HQ never got; they are queued
-- here once, in order, as `journal::record` would have queued them (record `journal_entry`,
-- its id the first 16 bytes of its hash), so HQ receives the journal whole from sequence 1
-- and sees no gap. A new shop has no entry yet when this runs: nothing is queued.
INSERT INTO outbox (record_id, kind, body, created_at)
SELECT
    substr(hash, 1, 8) || '-' || substr(hash, 9, 4) || '-' || substr(hash, 13, 4) || '-' ||
        substr(hash, 17, 4) || '-' || substr(hash, 21, 12),
    'journal_entry',
    json_object('kind', 'journal_entry', 'body', json_object(
        'shop', shop, 'sequence', sequence, 'code', code, 'at', at, 'user', user,
        'register', register, 'details', details, 'prev_hash', prev_hash, 'hash', hash,
        'signature', signature)),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM journal
ORDER BY sequence;
