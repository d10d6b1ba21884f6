-- 0003: the site file's access settings ([site] badge and PIN rules, [[door]]
-- visitor_escort). Limits match the site parser (docs/site-file.md).
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

ALTER TABLE site
  ADD COLUMN suspend_unused_badges_after_days integer NOT NULL DEFAULT 0
    CHECK (suspend_unused_badges_after_days BETWEEN 0 AND 3650),
  ADD COLUMN pin_attempts integer NOT NULL DEFAULT 5 CHECK (pin_attempts BETWEEN 1 AND 20),
  ADD COLUMN pin_lockout_minutes integer NOT NULL DEFAULT 15
    CHECK (pin_lockout_minutes BETWEEN 1 AND 1440);
COMMENT ON COLUMN site.suspend_unused_badges_after_days IS 'Active badges unused (last grant, or issue when never used) for more than this many days are suspended automatically; 0 = never, up to 3650.';
COMMENT ON COLUMN site.pin_attempts IS 'Consecutive wrong PINs that lock a badge''s PIN entry, 1..20.';
COMMENT ON COLUMN site.pin_lockout_minutes IS 'How long a locked PIN stays locked, 1..1440 minutes.';

ALTER TABLE doors ADD COLUMN visitor_escort boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN doors.visitor_escort IS 'A visitor pass opens this door only if the host''s badge was granted at this door within the last 10 s.';
