-- 0005: door hardware. Register maps of I/O modules, door and I/O events,
-- alarms that stay open until an operator acknowledges them, and the door
-- modes operators set (propagated to every controller by NOTIFY).
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

-- The decision engine's new reason: a door locked by an operator.
ALTER TABLE access_events DROP CONSTRAINT access_events_reason_check;
ALTER TABLE access_events ADD CONSTRAINT access_events_reason_check CHECK (reason IN (
  'bad_format', 'unknown_credential', 'badge_revoked', 'badge_suspended', 'badge_not_active',
  'person_inactive', 'not_yet_valid', 'expired', 'lockdown', 'door_locked', 'restricted_area',
  'no_access', 'outside_schedule', 'escort_required', 'pin_locked_out', 'pin_required',
  'wrong_pin', 'anti_passback', 'two_person_pending', 'granted', 'granted_passback_logged'));

ALTER TABLE io_modules
  ADD COLUMN coil_base integer NOT NULL DEFAULT 0 CHECK (coil_base BETWEEN 0 AND 65535),
  ADD COLUMN input_base integer NOT NULL DEFAULT 0 CHECK (input_base BETWEEN 0 AND 65535),
  ADD COLUMN input_count integer NOT NULL DEFAULT 8 CHECK (input_count BETWEEN 1 AND 2000);
COMMENT ON COLUMN io_modules.coil_base IS 'Modbus address of coil 0 (the register map of this module model).';
COMMENT ON COLUMN io_modules.input_base IS 'Modbus address of discrete input 0.';
COMMENT ON COLUMN io_modules.input_count IS 'Discrete inputs read on each poll, 1..2000.';

CREATE TABLE door_events (
  id bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  door_id text NOT NULL CHECK (door_id <> ''),
  kind text NOT NULL CHECK (kind <> ''),
  detail text NOT NULL DEFAULT '',
  operator text,
  event_key text UNIQUE,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE door_events IS 'Every input change, output command, mode change and alarm condition of a door, as the controller saw it. No foreign keys: history outlives configuration.';
COMMENT ON COLUMN door_events.id IS 'Sequence number of the event.';
COMMENT ON COLUMN door_events.occurred_at IS 'When it happened (UTC, microseconds).';
COMMENT ON COLUMN door_events.door_id IS 'The door (or, for module events, each door on the module).';
COMMENT ON COLUMN door_events.kind IS 'What happened: contact_opened, lock_unlocked, door_forced_open, mode_changed, ... (docs/doors.md).';
COMMENT ON COLUMN door_events.detail IS 'Words for a person: the reason, the mode, the error.';
COMMENT ON COLUMN door_events.operator IS 'Who caused it, for operator actions (mode changes); NULL for the hardware.';
COMMENT ON COLUMN door_events.event_key IS 'Idempotency key "<journal id>:<seq>" from the controller''s event journal; a replay inserts nothing twice.';
COMMENT ON COLUMN door_events.recorded_at IS 'When the row reached the database (UTC).';
CREATE INDEX door_events_door_time ON door_events (door_id, occurred_at);
CREATE INDEX door_events_time ON door_events (occurred_at);

CREATE TABLE alarms (
  id bigserial PRIMARY KEY,
  door_id text NOT NULL CHECK (door_id <> ''),
  kind text NOT NULL CHECK (kind IN ('forced_open', 'held_open', 'lock_fault', 'module_offline', 'reader_tamper', 'reader_offline', 'secure_channel_downgrade')),
  raised_at timestamptz NOT NULL,
  occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  last_raised_at timestamptz NOT NULL,
  condition_cleared_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by text,
  ack_note text,
  CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
);
COMMENT ON TABLE alarms IS 'Alarms: raised by a door''s condition, open until an operator acknowledges them. While one is open, the same condition again adds an occurrence instead of a new row.';
COMMENT ON COLUMN alarms.id IS 'Alarm number.';
COMMENT ON COLUMN alarms.door_id IS 'The door.';
COMMENT ON COLUMN alarms.kind IS 'forced_open, held_open, lock_fault, module_offline, reader_tamper, reader_offline or secure_channel_downgrade (a reader configured secure answering without security).';
COMMENT ON COLUMN alarms.raised_at IS 'When the condition first arose (UTC).';
COMMENT ON COLUMN alarms.occurrences IS 'How often the condition arose while the alarm was open.';
COMMENT ON COLUMN alarms.last_raised_at IS 'When it last arose (UTC).';
COMMENT ON COLUMN alarms.condition_cleared_at IS 'When the condition last ended (door closed, module back); NULL while it persists.';
COMMENT ON COLUMN alarms.acknowledged_at IS 'When an operator acknowledged it (UTC); NULL: open.';
COMMENT ON COLUMN alarms.acknowledged_by IS 'Who acknowledged it.';
COMMENT ON COLUMN alarms.ack_note IS 'What the operator wrote.';
CREATE UNIQUE INDEX alarms_one_open ON alarms (door_id, kind) WHERE acknowledged_at IS NULL;
CREATE INDEX alarms_raised ON alarms (raised_at);

CREATE TABLE door_modes (
  door_id text PRIMARY KEY CHECK (door_id <> ''),
  mode text NOT NULL CHECK (mode IN ('normal', 'unlocked', 'locked')),
  allowed_group text,
  until timestamptz,
  operator text NOT NULL CHECK (operator <> ''),
  set_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL DEFAULT '',
  CHECK (mode = 'locked' OR allowed_group IS NULL),
  CHECK (mode = 'unlocked' OR until IS NULL)
);
COMMENT ON TABLE door_modes IS 'Modes operators set on doors; a door without a row is in normal mode. Every change is also a door event naming its operator.';
COMMENT ON COLUMN door_modes.door_id IS 'The door.';
COMMENT ON COLUMN door_modes.mode IS 'normal; unlocked: momentary unlock until `until`; locked: only allowed_group passes (NULL: nobody).';
COMMENT ON COLUMN door_modes.allowed_group IS 'locked mode: the group still admitted; NULL: nobody.';
COMMENT ON COLUMN door_modes.until IS 'unlocked mode: when the momentary unlock ends (UTC).';
COMMENT ON COLUMN door_modes.operator IS 'Who set the mode.';
COMMENT ON COLUMN door_modes.set_at IS 'When (UTC).';
COMMENT ON COLUMN door_modes.reason IS 'Why, in the operator''s words.';

CREATE FUNCTION door_modes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_access', 'door:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.door_id ELSE NEW.door_id END);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION door_modes_notify() IS 'Tells running controllers a door''s mode changed (payload door:<door id>).';
CREATE TRIGGER door_modes_notify AFTER INSERT OR UPDATE OR DELETE ON door_modes
  FOR EACH ROW EXECUTE FUNCTION door_modes_notify();
