-- 0002: who may pass. People and their groups, badges and their lifecycle,
-- visits, the site-wide lockdown, and the access events every decision leaves.
-- Rules that must hold for every writer, raw SQL included, are triggers here:
-- the badge lifecycle (with its record of who did what), the restricted-area
-- rule, no group membership for visitors, and the NOTIFY that tells running
-- controllers to reload. See docs/schema.md and docs/badges.md.
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

-- Wall times cross the wire as integer microseconds since the Unix epoch
-- (base/clock.h WallTime), exact in both directions.
-- STABLE, not IMMUTABLE: timestamptz arithmetic is STABLE, and a function
-- claiming more than its body cannot be inlined into the 1M-row loads.
CREATE FUNCTION gatehouse_ts(us bigint) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN to_timestamp(0) + us * interval '1 microsecond';
COMMENT ON FUNCTION gatehouse_ts(bigint) IS 'Microseconds since 1970-01-01 UTC to timestamptz (exact).';
CREATE FUNCTION gatehouse_us(ts timestamptz) RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  RETURN (extract(epoch FROM ts) * 1000000)::bigint;
COMMENT ON FUNCTION gatehouse_us(timestamptz) IS 'timestamptz to microseconds since 1970-01-01 UTC (exact).';

-- ---- people ----

CREATE TABLE people (
  id bigserial PRIMARY KEY,
  external_id text NOT NULL UNIQUE CHECK (external_id <> ''),
  name text NOT NULL CHECK (name <> ''),
  kind text NOT NULL CHECK (kind IN ('employee', 'contractor', 'visitor')),
  active boolean NOT NULL DEFAULT true,
  host_person_id bigint REFERENCES people (id),
  email text CHECK (email <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT people_host_only_for_visitors CHECK (host_person_id IS NULL OR kind = 'visitor'),
  CHECK (host_person_id <> id)
);
COMMENT ON TABLE people IS 'Badge holders: employees and contractors (from the HR import), visitors (registered at reception).';
COMMENT ON COLUMN people.id IS 'Internal id; events and badges refer to it.';
COMMENT ON COLUMN people.external_id IS 'HR employee number, contractor number or visitor reference (V-<id> when reception gives none); unique, never empty.';
COMMENT ON COLUMN people.name IS 'Name as the security desk sees it.';
COMMENT ON COLUMN people.kind IS 'employee, contractor or visitor. Visitors are never members of a group.';
COMMENT ON COLUMN people.active IS 'false once terminated; every badge of the person is revoked then.';
COMMENT ON COLUMN people.host_person_id IS 'Visitors only: the employee of their latest visit, whose badge escorts them at visitor_escort doors.';
COMMENT ON COLUMN people.email IS 'Contact address; NULL when unknown.';
COMMENT ON COLUMN people.created_at IS 'When the row was created, UTC.';
COMMENT ON COLUMN people.updated_at IS 'When the row last changed (set by trigger on every real change), UTC.';

CREATE TABLE person_group_members (
  person_id bigint NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  group_id text NOT NULL,
  PRIMARY KEY (person_id, group_id),
  CONSTRAINT person_group_members_group_id_fkey FOREIGN KEY (group_id)
    REFERENCES person_groups (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX person_group_members_group_id ON person_group_members (group_id);
COMMENT ON TABLE person_group_members IS 'Which groups of the site file a person belongs to; access levels grant groups. A group removed from the site file takes its memberships with it.';
COMMENT ON COLUMN person_group_members.person_id IS 'The member (never a visitor).';
COMMENT ON COLUMN person_group_members.group_id IS 'A group id from the site file (person_groups).';

CREATE TABLE person_changes (
  id bigserial PRIMARY KEY,
  person_id bigint NOT NULL,
  external_id text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  operator text NOT NULL CHECK (operator <> ''),
  change text NOT NULL CHECK (change <> '')
);
CREATE INDEX person_changes_person_id ON person_changes (person_id, at);
COMMENT ON TABLE person_changes IS 'Who changed a person and how (import, group changes, visitor registration). No foreign key: the record outlives the person.';
COMMENT ON COLUMN person_changes.id IS 'Increasing record number.';
COMMENT ON COLUMN person_changes.person_id IS 'The person changed (people.id).';
COMMENT ON COLUMN person_changes.external_id IS 'Their external id at the time, readable after the person is gone.';
COMMENT ON COLUMN person_changes.at IS 'When (transaction start), UTC.';
COMMENT ON COLUMN person_changes.operator IS 'Who made the change: a login, cli:<unix user>, or system.';
COMMENT ON COLUMN person_changes.change IS 'What changed, in words: created (...), name ''a'' -> ''b'', groups +x -y, terminated, ...';

-- ---- badges ----

CREATE TABLE badges (
  id bigserial PRIMARY KEY,
  person_id bigint NOT NULL REFERENCES people (id),
  credential text NOT NULL UNIQUE CHECK (credential <> ''),
  format text NOT NULL,
  facility bigint CHECK (facility >= 0),
  card_number bigint CHECK (card_number >= 0),
  state text NOT NULL DEFAULT 'issued' CHECK (state IN ('issued', 'active', 'suspended', 'revoked')),
  valid_from timestamptz,
  valid_until timestamptz,
  pin_hash text CHECK (pin_hash <> ''),
  pin_failures integer NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
  pin_locked_until timestamptz,
  last_used_at timestamptz,
  visitor_pass boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_from < valid_until)
);
CREATE INDEX badges_person_id ON badges (person_id);
CREATE INDEX badges_active_last_use ON badges ((coalesce(last_used_at, created_at))) WHERE state = 'active';
COMMENT ON TABLE badges IS 'Credentials issued to people. Rows are never deleted and a credential is never reused: a revoked number stays here for good.';
COMMENT ON COLUMN badges.id IS 'Badge number shown to operators.';
COMMENT ON COLUMN badges.person_id IS 'The holder; never changes.';
COMMENT ON COLUMN badges.credential IS 'Canonical key text from the readers module ("26:1204D2": bit count, then the data bits without parity in hex). Unique across every badge ever issued, revoked ones included.';
COMMENT ON COLUMN badges.format IS 'Card format name as the readers module calls it (docs/card-formats.md), e.g. h10301.';
COMMENT ON COLUMN badges.facility IS 'Facility code printed on the card, for display only; NULL when the format has none.';
COMMENT ON COLUMN badges.card_number IS 'Card number printed on the card, for display only.';
COMMENT ON COLUMN badges.state IS 'Lifecycle state: issued, active, suspended, revoked (docs/badges.md); changes only as the lifecycle allows (trigger).';
COMMENT ON COLUMN badges.valid_from IS 'Not valid before this instant; NULL = no lower bound.';
COMMENT ON COLUMN badges.valid_until IS 'Not valid from this instant on; NULL = no upper bound. A visitor pass ends with its visit window.';
COMMENT ON COLUMN badges.pin_hash IS 'libsodium crypto_pwhash_str of the PIN; NULL = no PIN set.';
COMMENT ON COLUMN badges.pin_failures IS 'Consecutive wrong PINs since the last right one or the last lockout.';
COMMENT ON COLUMN badges.pin_locked_until IS 'PIN entry refused until this instant after too many wrong PINs; NULL = not locked.';
COMMENT ON COLUMN badges.last_used_at IS 'Last grant with this badge (written in batches by the controllers); NULL = never used.';
COMMENT ON COLUMN badges.visitor_pass IS 'A temporary pass issued at visitor check-in; revoked at check-out.';
COMMENT ON COLUMN badges.created_at IS 'When the badge was issued, UTC.';

CREATE TABLE badge_transitions (
  id bigserial PRIMARY KEY,
  badge_id bigint NOT NULL REFERENCES badges (id),
  from_state text CHECK (from_state IN ('issued', 'active', 'suspended', 'revoked')),
  to_state text NOT NULL CHECK (to_state IN ('issued', 'active', 'suspended', 'revoked')),
  operator text NOT NULL CHECK (operator <> ''),
  at timestamptz NOT NULL,
  reason text NOT NULL CHECK (reason <> '')
);
CREATE INDEX badge_transitions_badge_id ON badge_transitions (badge_id, id);
COMMENT ON TABLE badge_transitions IS 'Every state change of every badge, issue included: who, when, why. Written by the badges trigger, so no writer can change a state unrecorded.';
COMMENT ON COLUMN badge_transitions.id IS 'Increasing record number; orders the transitions of one badge.';
COMMENT ON COLUMN badge_transitions.badge_id IS 'The badge.';
COMMENT ON COLUMN badge_transitions.from_state IS 'State before; NULL for the issue.';
COMMENT ON COLUMN badge_transitions.to_state IS 'State after.';
COMMENT ON COLUMN badge_transitions.operator IS 'Who: a login, cli:<unix user>, or system (automatic suspension). From the transaction setting gatehouse.operator.';
COMMENT ON COLUMN badge_transitions.at IS 'When, UTC: the setting gatehouse.at_us (microseconds since the epoch) when the writer gives it, else the transaction start.';
COMMENT ON COLUMN badge_transitions.reason IS 'Why, in the operator''s words (gatehouse.reason): lost card, terminated in HR import, ...';

-- The lifecycle, for every writer. The C++ twin is db/badge_lifecycle.cpp;
-- docs/badges.md is the reference. A state change must say who and why
-- (transaction-local settings gatehouse.operator and gatehouse.reason), and
-- is recorded in badge_transitions.
CREATE FUNCTION badges_lifecycle() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  who text := nullif(current_setting('gatehouse.operator', true), '');
  why text := nullif(current_setting('gatehouse.reason', true), '');
  at_us text := nullif(current_setting('gatehouse.at_us', true), '');
  before text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.state <> 'issued' THEN
      RAISE EXCEPTION 'badge % cannot be created %: every badge starts issued', NEW.id, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    before := NULL;
  ELSE
    IF NEW.id <> OLD.id OR NEW.person_id <> OLD.person_id OR NEW.credential <> OLD.credential
       OR NEW.visitor_pass <> OLD.visitor_pass OR NEW.created_at <> OLD.created_at THEN
      RAISE EXCEPTION 'badge %: its id, holder, credential, visitor_pass and created_at never change; revoke it and issue a new badge', OLD.id
        USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.state = OLD.state THEN
      RETURN NULL;
    END IF;
    IF OLD.state = 'revoked' THEN
      RAISE EXCEPTION 'badge % is revoked; a revoked badge cannot become % (revoked is final): issue a new badge', OLD.id, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    IF (OLD.state, NEW.state) NOT IN (('issued', 'active'), ('active', 'suspended'),
        ('suspended', 'active'), ('issued', 'revoked'), ('active', 'revoked'),
        ('suspended', 'revoked')) THEN
      RAISE EXCEPTION 'badge %: % -> % is not allowed; allowed: issued -> active, active -> suspended, suspended -> active, issued/active/suspended -> revoked', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
    END IF;
    before := OLD.state;
  END IF;
  IF who IS NULL OR why IS NULL THEN
    RAISE EXCEPTION 'badge %: a state change must say who and why; set gatehouse.operator and gatehouse.reason in the transaction first', NEW.id
      USING ERRCODE = 'check_violation',
            HINT = 'SELECT set_config(''gatehouse.operator'', ''alice'', true), set_config(''gatehouse.reason'', ''lost card'', true)';
  END IF;
  INSERT INTO badge_transitions (badge_id, from_state, to_state, operator, at, reason)
  VALUES (NEW.id, before, NEW.state, who, coalesce(gatehouse_ts(at_us::bigint), now()), why);
  RETURN NULL;
END $$;
CREATE TRIGGER badges_lifecycle AFTER INSERT OR UPDATE ON badges
  FOR EACH ROW EXECUTE FUNCTION badges_lifecycle();

-- A deleted badge would free its credential for reuse.
CREATE FUNCTION badges_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'badges are never deleted (a credential must never be reused): revoke the badge instead'
    USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER badges_never_deleted BEFORE DELETE ON badges
  FOR EACH ROW EXECUTE FUNCTION badges_never_deleted();
CREATE TRIGGER badges_never_truncated BEFORE TRUNCATE ON badges
  FOR EACH STATEMENT EXECUTE FUNCTION badges_never_deleted();

-- ---- visits ----

CREATE TABLE visits (
  id bigserial PRIMARY KEY,
  visitor_person_id bigint NOT NULL REFERENCES people (id),
  host_person_id bigint NOT NULL REFERENCES people (id),
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  registered_by text NOT NULL CHECK (registered_by <> ''),
  registered_at timestamptz NOT NULL DEFAULT now(),
  checked_in_at timestamptz,
  checked_in_by text CHECK (checked_in_by <> ''),
  checked_out_at timestamptz,
  checked_out_by text CHECK (checked_out_by <> ''),
  badge_id bigint REFERENCES badges (id),
  CHECK (window_start < window_end),
  CHECK (visitor_person_id <> host_person_id),
  CHECK ((checked_in_at IS NULL) = (checked_in_by IS NULL)),
  CHECK ((checked_in_at IS NULL) = (badge_id IS NULL)),
  CHECK ((checked_out_at IS NULL) = (checked_out_by IS NULL)),
  CHECK (checked_out_at IS NULL OR checked_out_at >= checked_in_at)
);
CREATE INDEX visits_window ON visits (window_start, window_end);
CREATE INDEX visits_on_site ON visits (checked_in_at) WHERE checked_in_at IS NOT NULL AND checked_out_at IS NULL;
COMMENT ON TABLE visits IS 'Visits registered at reception: who visits whom and when; check-in issues the visitor pass, check-out revokes it.';
COMMENT ON COLUMN visits.id IS 'Visit number.';
COMMENT ON COLUMN visits.visitor_person_id IS 'The visitor (people.kind = visitor).';
COMMENT ON COLUMN visits.host_person_id IS 'The employee visited; an active employee when registered and at check-in.';
COMMENT ON COLUMN visits.window_start IS 'Start of the expected visit, UTC.';
COMMENT ON COLUMN visits.window_end IS 'End of the visit window, UTC; the pass expires then, and the visit cannot be checked in after it.';
COMMENT ON COLUMN visits.registered_by IS 'Operator who registered the visit.';
COMMENT ON COLUMN visits.registered_at IS 'When it was registered, UTC.';
COMMENT ON COLUMN visits.checked_in_at IS 'When the visitor was checked in and given a pass; NULL = not yet.';
COMMENT ON COLUMN visits.checked_in_by IS 'Operator who checked the visitor in.';
COMMENT ON COLUMN visits.checked_out_at IS 'When the visitor was checked out (the pass revoked then); NULL = not yet.';
COMMENT ON COLUMN visits.checked_out_by IS 'Operator who checked the visitor out.';
COMMENT ON COLUMN visits.badge_id IS 'The visitor pass issued at check-in.';

-- ---- lockdown ----

CREATE TABLE lockdown (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  active boolean NOT NULL,
  allowed_group_id text REFERENCES person_groups (id) ON DELETE SET NULL,
  operator text NOT NULL CHECK (operator <> ''),
  since timestamptz NOT NULL,
  CHECK (active OR allowed_group_id IS NULL)
);
INSERT INTO lockdown (active, operator, since) VALUES (false, 'system', now());
COMMENT ON TABLE lockdown IS 'The site-wide lockdown: exactly one row. While active, only the allowed group passes, and only through doors its levels grant.';
COMMENT ON COLUMN lockdown.id IS 'Always true; makes a second row impossible.';
COMMENT ON COLUMN lockdown.active IS 'A lockdown is in force.';
COMMENT ON COLUMN lockdown.allowed_group_id IS 'The group that still passes; NULL = nobody (also when the group is removed from the site file).';
COMMENT ON COLUMN lockdown.operator IS 'Who started (or lifted) the lockdown last.';
COMMENT ON COLUMN lockdown.since IS 'When the current state began, UTC.';

CREATE TABLE lockdown_changes (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  operator text NOT NULL CHECK (operator <> ''),
  active boolean NOT NULL,
  allowed_group_id text
);
COMMENT ON TABLE lockdown_changes IS 'Every start, change and lift of the lockdown.';
COMMENT ON COLUMN lockdown_changes.id IS 'Increasing record number.';
COMMENT ON COLUMN lockdown_changes.at IS 'When (transaction start), UTC.';
COMMENT ON COLUMN lockdown_changes.operator IS 'Who.';
COMMENT ON COLUMN lockdown_changes.active IS 'true: started (or changed its allowed group); false: lifted.';
COMMENT ON COLUMN lockdown_changes.allowed_group_id IS 'The allowed group from then on; NULL = nobody.';

-- ---- access events ----

CREATE TABLE access_events (
  id bigserial PRIMARY KEY,
  occurred_at timestamptz NOT NULL,
  door_id text NOT NULL,
  reader_id text NOT NULL,
  credential text,
  raw_bits text CHECK (raw_bits ~ '^[01]+$'),
  badge_id bigint,
  person_id bigint,
  granted boolean NOT NULL,
  reason text NOT NULL CHECK (reason IN ('bad_format', 'unknown_credential', 'badge_revoked',
    'badge_suspended', 'badge_not_active', 'person_inactive', 'not_yet_valid', 'expired',
    'lockdown', 'restricted_area', 'no_access', 'outside_schedule', 'escort_required',
    'pin_locked_out', 'pin_required', 'wrong_pin', 'anti_passback', 'two_person_pending',
    'granted', 'granted_passback_logged')),
  event_key text UNIQUE CHECK (event_key <> ''),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (granted = (reason IN ('granted', 'granted_passback_logged')))
);
CREATE INDEX access_events_occurred_at ON access_events (occurred_at);
CREATE INDEX access_events_person ON access_events (person_id, occurred_at);
CREATE INDEX access_events_door ON access_events (door_id, occurred_at);
COMMENT ON TABLE access_events IS 'One row per decision at a reader (docs/decisions.md). No foreign keys: history outlives the configuration, badges and people it names.';
COMMENT ON COLUMN access_events.id IS 'Increasing event number (insertion order, not occurrence order).';
COMMENT ON COLUMN access_events.occurred_at IS 'When the badge was read, UTC, microseconds (the controller''s wall clock).';
COMMENT ON COLUMN access_events.door_id IS 'Door id at the time (site file).';
COMMENT ON COLUMN access_events.reader_id IS 'Reader id at the time (site file).';
COMMENT ON COLUMN access_events.credential IS 'Canonical credential text read; NULL when the read failed its parity check.';
COMMENT ON COLUMN access_events.raw_bits IS 'The bits as read, as 0/1 text; kept for unknown and unreadable cards so they can be identified later.';
COMMENT ON COLUMN access_events.badge_id IS 'The matching badge (badges.id at the time); NULL for unknown credentials.';
COMMENT ON COLUMN access_events.person_id IS 'The badge holder (people.id at the time); NULL for unknown credentials.';
COMMENT ON COLUMN access_events.granted IS 'The decision; true exactly for the reasons granted and granted_passback_logged.';
COMMENT ON COLUMN access_events.reason IS 'Reason code from docs/decisions.md.';
COMMENT ON COLUMN access_events.event_key IS 'Writer''s idempotency key ("<journal id>:<seq>"): a replayed event with a stored key is not inserted again; NULL when the writer has none.';
COMMENT ON COLUMN access_events.recorded_at IS 'When the row was stored, UTC; later than occurred_at after an outage.';

-- ---- rules for every writer ----

-- The restricted-area rule of the site file, held by the database too: no
-- access level grants a door into a restricted area to a group outside the
-- area's restricted groups. The first violation among the given filters
-- (NULL = any), in bytewise id order.
CREATE FUNCTION restricted_area_violation(p_level text, p_group text, p_door text, p_area text)
RETURNS TABLE (access_level_id text, group_id text, door_id text, area_id text, allowed text)
LANGUAGE sql STABLE AS $$
  SELECT alg.access_level_id, alg.group_id, d.id, d.to_area_id,
         (SELECT string_agg(r.group_id, ', ' ORDER BY r.group_id COLLATE "C")
          FROM area_restricted_groups r WHERE r.area_id = d.to_area_id)
  FROM access_level_groups alg
  JOIN access_level_doors ald ON ald.access_level_id = alg.access_level_id
  JOIN doors d ON d.id = ald.door_id
  WHERE EXISTS (SELECT 1 FROM area_restricted_groups r WHERE r.area_id = d.to_area_id)
    AND NOT EXISTS (SELECT 1 FROM area_restricted_groups r
                    WHERE r.area_id = d.to_area_id AND r.group_id = alg.group_id)
    AND (p_level IS NULL OR alg.access_level_id = p_level)
    AND (p_group IS NULL OR alg.group_id = p_group)
    AND (p_door IS NULL OR d.id = p_door)
    AND (p_area IS NULL OR d.to_area_id = p_area)
  ORDER BY alg.access_level_id COLLATE "C", alg.group_id COLLATE "C", d.id COLLATE "C"
  LIMIT 1
$$;
COMMENT ON FUNCTION restricted_area_violation(text, text, text, text) IS 'First access level granting a group a door into a restricted area the group is not allowed in; filters NULL = any.';

-- Deferred to COMMIT, like the site foreign keys, so that one transaction can
-- rewire levels, doors and areas in any order; each row checks only what it
-- could have broken.
CREATE FUNCTION check_restricted_areas() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  lvl text;
  grp text;
  dr text;
  ar text;
  allowed text;
BEGIN
  IF TG_TABLE_NAME = 'access_level_groups' THEN
    SELECT * INTO lvl, grp, dr, ar, allowed
      FROM restricted_area_violation(NEW.access_level_id, NEW.group_id, NULL, NULL);
  ELSIF TG_TABLE_NAME = 'access_level_doors' THEN
    SELECT * INTO lvl, grp, dr, ar, allowed
      FROM restricted_area_violation(NEW.access_level_id, NULL, NEW.door_id, NULL);
  ELSIF TG_TABLE_NAME = 'doors' THEN
    SELECT * INTO lvl, grp, dr, ar, allowed FROM restricted_area_violation(NULL, NULL, NEW.id, NULL);
  ELSE
    -- area_restricted_groups: a restriction added, removed or moved.
    IF TG_OP <> 'INSERT' THEN
      SELECT * INTO lvl, grp, dr, ar, allowed
        FROM restricted_area_violation(NULL, NULL, NULL, OLD.area_id);
    END IF;
    IF lvl IS NULL AND TG_OP <> 'DELETE' THEN
      SELECT * INTO lvl, grp, dr, ar, allowed
        FROM restricted_area_violation(NULL, NULL, NULL, NEW.area_id);
    END IF;
  END IF;
  IF lvl IS NOT NULL THEN
    RAISE EXCEPTION 'access level ''%'' grants group ''%'' door ''%'' into restricted area ''%'' (allowed groups: %)',
      lvl, grp, dr, ar, allowed
      USING ERRCODE = 'check_violation',
            HINT = 'add the group to the area''s restricted_to, or take the door or the group out of the access level';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER access_level_groups_restricted AFTER INSERT OR UPDATE ON access_level_groups
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_restricted_areas();
CREATE CONSTRAINT TRIGGER access_level_doors_restricted AFTER INSERT OR UPDATE ON access_level_doors
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_restricted_areas();
CREATE CONSTRAINT TRIGGER doors_restricted AFTER INSERT OR UPDATE ON doors
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_restricted_areas();
CREATE CONSTRAINT TRIGGER area_restricted_groups_restricted AFTER INSERT OR UPDATE OR DELETE ON area_restricted_groups
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_restricted_areas();

-- Visitors pass only with their pass and the escort rule, never through a
-- group. FOR SHARE holds the person's kind until the membership commits.
CREATE FUNCTION person_group_members_no_visitors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p record;
BEGIN
  SELECT external_id, name, kind INTO p FROM people WHERE id = NEW.person_id FOR SHARE;
  IF p.kind = 'visitor' THEN
    RAISE EXCEPTION 'person ''%'' (%) is a visitor and cannot be a member of group ''%'': visitors pass only with their visitor pass, escorted by their host',
      p.external_id, p.name, NEW.group_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER person_group_members_no_visitors BEFORE INSERT OR UPDATE ON person_group_members
  FOR EACH ROW EXECUTE FUNCTION person_group_members_no_visitors();

CREATE FUNCTION people_visitors_have_no_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM person_group_members WHERE person_id = NEW.id) THEN
    RAISE EXCEPTION 'person ''%'' (%) is a member of groups and cannot become a visitor: visitors are never members of a group',
      NEW.external_id, NEW.name
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER people_visitors_have_no_groups BEFORE UPDATE OF kind ON people
  FOR EACH ROW WHEN (NEW.kind = 'visitor' AND OLD.kind <> 'visitor')
  EXECUTE FUNCTION people_visitors_have_no_groups();

CREATE FUNCTION people_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER people_touch_updated_at BEFORE UPDATE ON people
  FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
  EXECUTE FUNCTION people_touch_updated_at();

-- ---- NOTIFY: every writer's change reaches the running controllers ----
-- Channel gatehouse_access (db/access_data.h kAccessChannel). Delivered at
-- commit, once per distinct payload per transaction.

CREATE FUNCTION notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o record;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'people' THEN
    PERFORM pg_notify('gatehouse_access', 'person:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
  ELSIF TG_TABLE_NAME = 'person_group_members' THEN
    IF TG_OP <> 'INSERT' THEN
      PERFORM pg_notify('gatehouse_access', 'person:' || OLD.person_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
      PERFORM pg_notify('gatehouse_access', 'person:' || NEW.person_id);
    END IF;
  ELSIF TG_TABLE_NAME = 'badges' THEN
    -- last_used_at alone is not a decision input, and the controllers
    -- write it after every grant: telling them would make each grant a
    -- reload on every controller.
    IF TG_OP = 'UPDATE' THEN
      o := OLD;
      o.last_used_at := NEW.last_used_at;
      IF o IS NOT DISTINCT FROM NEW THEN
        RETURN NULL;
      END IF;
    END IF;
    PERFORM pg_notify('gatehouse_access', 'badge:' || NEW.id);
  ELSIF TG_TABLE_NAME = 'lockdown' THEN
    PERFORM pg_notify('gatehouse_access', 'lockdown');
  ELSE
    PERFORM pg_notify('gatehouse_access', 'site');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER people_notify AFTER INSERT OR UPDATE OR DELETE ON people
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER person_group_members_notify AFTER INSERT OR UPDATE OR DELETE ON person_group_members
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER badges_notify AFTER INSERT OR UPDATE ON badges
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER lockdown_notify AFTER INSERT OR UPDATE ON lockdown
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER site_revisions_notify AFTER INSERT ON site_revisions
  FOR EACH ROW EXECUTE FUNCTION notify_access_change();
