-- 0001: the site configuration, one row per entity of the site file.
-- Ids are the operator's own strings from the file. Foreign keys between site
-- tables are DEFERRABLE INITIALLY DEFERRED so that one transaction can rewire
-- references in any order; they are checked at COMMIT.
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

CREATE TABLE site (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  name text NOT NULL,
  timezone text NOT NULL CHECK (timezone <> '')
);
COMMENT ON TABLE site IS 'The site itself: exactly one row once a site file has been applied.';
COMMENT ON COLUMN site.id IS 'Always true; the primary key only makes a second row impossible.';
COMMENT ON COLUMN site.name IS 'Display name of the site ([site] name).';
COMMENT ON COLUMN site.timezone IS 'IANA time zone name; schedules are evaluated in this local time, events are stored in UTC.';

CREATE TABLE schedules (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL
);
COMMENT ON TABLE schedules IS 'Named weekly schedules with holidays ([[schedule]]).';
COMMENT ON COLUMN schedules.id IS 'Schedule id from the site file.';
COMMENT ON COLUMN schedules.name IS 'Display name; empty when the file gives none.';

CREATE TABLE schedule_intervals (
  schedule_id text NOT NULL REFERENCES schedules (id) DEFERRABLE INITIALLY DEFERRED,
  day smallint NOT NULL CHECK (day BETWEEN 0 AND 7),
  start_min smallint NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
  end_min smallint NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
  PRIMARY KEY (schedule_id, day, start_min),
  CHECK (start_min < end_min)
);
COMMENT ON TABLE schedule_intervals IS 'Open intervals of a schedule, [start_min, end_min) in local time on one day; intervals of one day do not overlap.';
COMMENT ON COLUMN schedule_intervals.schedule_id IS 'The schedule this interval belongs to.';
COMMENT ON COLUMN schedule_intervals.day IS 'Day of week, 0 = Monday .. 6 = Sunday (ISO order); 7 = the schedule''s holidays.';
COMMENT ON COLUMN schedule_intervals.start_min IS 'Start, minutes after local midnight (inclusive), 0..1439.';
COMMENT ON COLUMN schedule_intervals.end_min IS 'End, minutes after local midnight (exclusive), 1..1440; 1440 is 24:00.';

CREATE TABLE schedule_holidays (
  schedule_id text NOT NULL REFERENCES schedules (id) DEFERRABLE INITIALLY DEFERRED,
  holiday date NOT NULL,
  PRIMARY KEY (schedule_id, holiday)
);
COMMENT ON TABLE schedule_holidays IS 'Dates on which a schedule follows its holiday intervals (day 7) instead of the weekday''s.';
COMMENT ON COLUMN schedule_holidays.schedule_id IS 'The schedule the holiday belongs to.';
COMMENT ON COLUMN schedule_holidays.holiday IS 'Local calendar date of the holiday in the site''s time zone.';

CREATE TABLE person_groups (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL
);
COMMENT ON TABLE person_groups IS 'Groups of people ([[group]]); named person_groups because GROUPS is a reserved word.';
COMMENT ON COLUMN person_groups.id IS 'Group id from the site file.';
COMMENT ON COLUMN person_groups.name IS 'Display name; empty when the file gives none.';

CREATE TABLE areas (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  two_person boolean NOT NULL DEFAULT false,
  anti_passback text NOT NULL DEFAULT 'none' CHECK (anti_passback IN ('none', 'soft', 'hard'))
);
COMMENT ON TABLE areas IS 'Areas that doors lead between ([[area]]).';
COMMENT ON COLUMN areas.id IS 'Area id from the site file.';
COMMENT ON COLUMN areas.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN areas.two_person IS 'Entry needs two authorised badges in quick succession.';
COMMENT ON COLUMN areas.anti_passback IS 'none; soft: a passback is logged; hard: a passback is denied.';

CREATE TABLE area_restricted_groups (
  area_id text NOT NULL REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED,
  group_id text NOT NULL REFERENCES person_groups (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (area_id, group_id)
);
COMMENT ON TABLE area_restricted_groups IS 'When an area has rows here, only members of these groups may ever enter it, whatever access level they hold.';
COMMENT ON COLUMN area_restricted_groups.area_id IS 'The restricted area.';
COMMENT ON COLUMN area_restricted_groups.group_id IS 'A group allowed in it.';

CREATE TABLE io_modules (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  modbus text NOT NULL CHECK (modbus <> ''),
  unit smallint NOT NULL CHECK (unit BETWEEN 0 AND 247),
  poll_ms integer NOT NULL CHECK (poll_ms BETWEEN 10 AND 10000),
  timeout_ms integer NOT NULL CHECK (timeout_ms BETWEEN 10 AND 10000),
  retries integer NOT NULL CHECK (retries BETWEEN 0 AND 10)
);
COMMENT ON TABLE io_modules IS 'Modbus door I/O modules: relay outputs drive locks, inputs read contacts and exit buttons ([[io_module]]).';
COMMENT ON COLUMN io_modules.id IS 'I/O module id from the site file.';
COMMENT ON COLUMN io_modules.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN io_modules.modbus IS 'Endpoint: tcp://host:port or rtu:///dev/tty...?baud=..&parity=..&data=..&stop=..';
COMMENT ON COLUMN io_modules.unit IS 'Modbus unit (slave) id, 0..247.';
COMMENT ON COLUMN io_modules.poll_ms IS 'Input polling period in milliseconds, 10..10000.';
COMMENT ON COLUMN io_modules.timeout_ms IS 'Response timeout per request in milliseconds, 10..10000.';
COMMENT ON COLUMN io_modules.retries IS 'Retries of a failed request before the module is reported offline, 0..10.';

CREATE TABLE readers (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  osdp text NOT NULL CHECK (osdp <> ''),
  address smallint NOT NULL CHECK (address BETWEEN 0 AND 126),
  secure_channel boolean NOT NULL DEFAULT true,
  keypad boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE readers IS 'OSDP badge readers ([[reader]]).';
COMMENT ON COLUMN readers.id IS 'Reader id from the site file.';
COMMENT ON COLUMN readers.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN readers.osdp IS 'Link: tcp://host:port or serial:///dev/tty...?baud=..';
COMMENT ON COLUMN readers.address IS 'OSDP peripheral address on its line, 0..126.';
COMMENT ON COLUMN readers.secure_channel IS 'OSDP Secure Channel required; keys live in the key store, never here.';
COMMENT ON COLUMN readers.keypad IS 'The reader has a keypad (needed for card-and-pin doors).';

CREATE TABLE cameras (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  url text NOT NULL CHECK (url <> ''),
  retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650)
);
COMMENT ON TABLE cameras IS 'RTSP cameras recorded by the video module ([[camera]]).';
COMMENT ON COLUMN cameras.id IS 'Camera id from the site file.';
COMMENT ON COLUMN cameras.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN cameras.url IS 'Stream URL (rtsp://...); credentials, if any, are part of it.';
COMMENT ON COLUMN cameras.retention_days IS 'Days recordings are kept, 1..3650.';

CREATE TABLE doors (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  from_area_id text NOT NULL REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED,
  to_area_id text NOT NULL REFERENCES areas (id) DEFERRABLE INITIALLY DEFERRED,
  reader_id text NOT NULL REFERENCES readers (id) DEFERRABLE INITIALLY DEFERRED,
  mode text NOT NULL DEFAULT 'card' CHECK (mode IN ('card', 'card-and-pin')),
  lock_io_id text NOT NULL REFERENCES io_modules (id) DEFERRABLE INITIALLY DEFERRED,
  lock_coil integer NOT NULL CHECK (lock_coil BETWEEN 0 AND 65535),
  lock_fail text NOT NULL DEFAULT 'secure' CHECK (lock_fail IN ('secure', 'safe')),
  contact_io_id text REFERENCES io_modules (id) DEFERRABLE INITIALLY DEFERRED,
  contact_input integer CHECK (contact_input BETWEEN 0 AND 65535),
  contact_normally text CHECK (contact_normally IN ('closed', 'open')),
  exit_io_id text REFERENCES io_modules (id) DEFERRABLE INITIALLY DEFERRED,
  exit_input integer CHECK (exit_input BETWEEN 0 AND 65535),
  exit_normally text CHECK (exit_normally IN ('closed', 'open')),
  unlock_seconds integer NOT NULL CHECK (unlock_seconds BETWEEN 1 AND 3600),
  held_open_seconds integer NOT NULL CHECK (held_open_seconds BETWEEN 1 AND 3600),
  unlocked_during_schedule_id text REFERENCES schedules (id) DEFERRABLE INITIALLY DEFERRED,
  CHECK (from_area_id <> to_area_id),
  CHECK ((contact_io_id IS NULL) = (contact_input IS NULL)
         AND (contact_io_id IS NULL) = (contact_normally IS NULL)),
  CHECK ((exit_io_id IS NULL) = (exit_input IS NULL)
         AND (exit_io_id IS NULL) = (exit_normally IS NULL))
);
COMMENT ON TABLE doors IS 'Doors: a reader, a lock output, optional contact and exit-button inputs, between two areas ([[door]]).';
COMMENT ON COLUMN doors.id IS 'Door id from the site file.';
COMMENT ON COLUMN doors.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN doors.from_area_id IS 'Area on the reader side (where a badge holder comes from).';
COMMENT ON COLUMN doors.to_area_id IS 'Area a granted passage leads into.';
COMMENT ON COLUMN doors.reader_id IS 'Reader that controls entry through this door.';
COMMENT ON COLUMN doors.mode IS 'card: a valid badge opens; card-and-pin: a badge and its PIN.';
COMMENT ON COLUMN doors.lock_io_id IS 'I/O module whose relay drives the lock.';
COMMENT ON COLUMN doors.lock_coil IS 'Modbus coil number of the lock relay, 0..65535.';
COMMENT ON COLUMN doors.lock_fail IS 'What the lock does without power: secure stays locked, safe opens.';
COMMENT ON COLUMN doors.contact_io_id IS 'I/O module of the door contact; NULL when the door has none (with contact_input and contact_normally).';
COMMENT ON COLUMN doors.contact_input IS 'Modbus discrete input of the door contact, 0..65535.';
COMMENT ON COLUMN doors.contact_normally IS 'Contact state with the door shut: closed or open.';
COMMENT ON COLUMN doors.exit_io_id IS 'I/O module of the request-to-exit button; NULL when the door has none (with exit_input and exit_normally).';
COMMENT ON COLUMN doors.exit_input IS 'Modbus discrete input of the exit button, 0..65535.';
COMMENT ON COLUMN doors.exit_normally IS 'Exit button state when not pressed: closed or open.';
COMMENT ON COLUMN doors.unlock_seconds IS 'How long a grant keeps the lock released, 1..3600 seconds.';
COMMENT ON COLUMN doors.held_open_seconds IS 'How long the door may stand open before a held-open alarm, 1..3600 seconds.';
COMMENT ON COLUMN doors.unlocked_during_schedule_id IS 'Schedule during which the door stays unlocked (passages still recorded); NULL for none.';

CREATE TABLE door_cameras (
  door_id text NOT NULL REFERENCES doors (id) DEFERRABLE INITIALLY DEFERRED,
  camera_id text NOT NULL REFERENCES cameras (id) DEFERRABLE INITIALLY DEFERRED,
  position smallint NOT NULL CHECK (position >= 0),
  PRIMARY KEY (door_id, camera_id)
);
COMMENT ON TABLE door_cameras IS 'Cameras that cover a door; events at the door link footage from each.';
COMMENT ON COLUMN door_cameras.door_id IS 'The door.';
COMMENT ON COLUMN door_cameras.camera_id IS 'A camera covering it.';
COMMENT ON COLUMN door_cameras.position IS 'Place in the door''s cameras list in the site file, 0 first; order is kept because the first camera is the one shown first.';

CREATE TABLE access_levels (
  id text PRIMARY KEY CHECK (id <> ''),
  name text NOT NULL,
  schedule_id text NOT NULL REFERENCES schedules (id) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE access_levels IS 'Access levels: which groups may open which doors during which schedule ([[access_level]]).';
COMMENT ON COLUMN access_levels.id IS 'Access level id from the site file.';
COMMENT ON COLUMN access_levels.name IS 'Display name; empty when the file gives none.';
COMMENT ON COLUMN access_levels.schedule_id IS 'Schedule during which the level grants access.';

CREATE TABLE access_level_groups (
  access_level_id text NOT NULL REFERENCES access_levels (id) DEFERRABLE INITIALLY DEFERRED,
  group_id text NOT NULL REFERENCES person_groups (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (access_level_id, group_id)
);
COMMENT ON TABLE access_level_groups IS 'Groups an access level applies to.';
COMMENT ON COLUMN access_level_groups.access_level_id IS 'The access level.';
COMMENT ON COLUMN access_level_groups.group_id IS 'A group holding it.';

CREATE TABLE access_level_doors (
  access_level_id text NOT NULL REFERENCES access_levels (id) DEFERRABLE INITIALLY DEFERRED,
  door_id text NOT NULL REFERENCES doors (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (access_level_id, door_id)
);
COMMENT ON TABLE access_level_doors IS 'Doors an access level opens.';
COMMENT ON COLUMN access_level_doors.access_level_id IS 'The access level.';
COMMENT ON COLUMN access_level_doors.door_id IS 'A door it opens.';

CREATE TABLE site_revisions (
  id bigserial PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now(),
  operator text NOT NULL,
  file_sha256 text CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  rows_inserted integer NOT NULL CHECK (rows_inserted >= 0),
  rows_updated integer NOT NULL CHECK (rows_updated >= 0),
  rows_deleted integer NOT NULL CHECK (rows_deleted >= 0),
  schedules integer NOT NULL CHECK (schedules >= 0),
  areas integer NOT NULL CHECK (areas >= 0),
  person_groups integer NOT NULL CHECK (person_groups >= 0),
  access_levels integer NOT NULL CHECK (access_levels >= 0),
  io_modules integer NOT NULL CHECK (io_modules >= 0),
  readers integer NOT NULL CHECK (readers >= 0),
  cameras integer NOT NULL CHECK (cameras >= 0),
  doors integer NOT NULL CHECK (doors >= 0)
);
COMMENT ON TABLE site_revisions IS 'One row per apply of a site file that changed something; an apply that changes nothing writes no row.';
COMMENT ON COLUMN site_revisions.id IS 'Revision number, increasing.';
COMMENT ON COLUMN site_revisions.applied_at IS 'When the change was committed (transaction start time), UTC.';
COMMENT ON COLUMN site_revisions.operator IS 'Who applied it, as the caller names them (login or "cli:<unix user>").';
COMMENT ON COLUMN site_revisions.file_sha256 IS 'SHA-256 of the site file text, lowercase hex; NULL when the caller had no file.';
COMMENT ON COLUMN site_revisions.rows_inserted IS 'Rows inserted across all site tables by this apply.';
COMMENT ON COLUMN site_revisions.rows_updated IS 'Rows updated across all site tables by this apply.';
COMMENT ON COLUMN site_revisions.rows_deleted IS 'Rows deleted across all site tables by this apply.';
COMMENT ON COLUMN site_revisions.schedules IS 'Number of schedules in the site after this apply.';
COMMENT ON COLUMN site_revisions.areas IS 'Number of areas after this apply.';
COMMENT ON COLUMN site_revisions.person_groups IS 'Number of groups after this apply.';
COMMENT ON COLUMN site_revisions.access_levels IS 'Number of access levels after this apply.';
COMMENT ON COLUMN site_revisions.io_modules IS 'Number of I/O modules after this apply.';
COMMENT ON COLUMN site_revisions.readers IS 'Number of readers after this apply.';
COMMENT ON COLUMN site_revisions.cameras IS 'Number of cameras after this apply.';
COMMENT ON COLUMN site_revisions.doors IS 'Number of doors after this apply.';
