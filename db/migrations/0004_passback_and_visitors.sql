-- 0004: anti-passback forgiveness, and the reserved group `visitors`. The location the controllers keep for each
-- person (the area of their last entry) lives in controller memory; an operator
-- who forgives a passback writes a row here, and the trigger tells every running
-- controller to forget that person's location.
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

CREATE TABLE passback_forgiveness (
  id bigserial PRIMARY KEY,
  person_id bigint NOT NULL REFERENCES people (id),
  operator text NOT NULL CHECK (operator <> ''),
  at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL
);
COMMENT ON TABLE passback_forgiveness IS 'Anti-passback forgive actions: who cleared whose recorded location, when and why.';
COMMENT ON COLUMN passback_forgiveness.id IS 'Sequence number of the action.';
COMMENT ON COLUMN passback_forgiveness.person_id IS 'The person whose recorded location was cleared.';
COMMENT ON COLUMN passback_forgiveness.operator IS 'Who forgave.';
COMMENT ON COLUMN passback_forgiveness.at IS 'When (UTC).';
COMMENT ON COLUMN passback_forgiveness.reason IS 'Why, in the operator''s words.';
CREATE INDEX passback_forgiveness_person ON passback_forgiveness (person_id, at);

CREATE FUNCTION passback_forgiveness_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_access', 'forgive:' || NEW.person_id);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION passback_forgiveness_notify() IS 'Tells running controllers to forget the person''s anti-passback location (payload forgive:<person id>).';
CREATE TRIGGER passback_forgiveness_notify AFTER INSERT ON passback_forgiveness
  FOR EACH ROW EXECUTE FUNCTION passback_forgiveness_notify();

-- The reserved group `visitors`: every checked-in visitor belongs to it
-- implicitly (the controller adds it), so nobody may be a member by row.
CREATE FUNCTION person_group_members_reserved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.group_id = 'visitors' THEN
    RAISE EXCEPTION 'group ''visitors'' is reserved: every checked-in visitor is in it, and nobody else'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION person_group_members_reserved() IS 'Refuses membership rows for the reserved group visitors.';
CREATE TRIGGER person_group_members_reserved BEFORE INSERT OR UPDATE ON person_group_members
  FOR EACH ROW EXECUTE FUNCTION person_group_members_reserved();
