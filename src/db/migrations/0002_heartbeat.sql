-- The claim's lease: a RUNNING row whose owner renews heartbeat_at is not taken over by a duplicate
-- delivery; one whose heartbeat stopped (the owner died) is, once the lease has run out.
alter table submissions add column heartbeat_at timestamptz;
