-- 0006: OSDP Secure Channel keys and install mode. Keys are stored encrypted
-- (libsodium secretbox under the controllers' key file, see docs/osdp.md): the
-- database never holds a key in the clear, and no log line ever shows one.
-- Runs inside migrate()'s transaction: no BEGIN/COMMIT here.

CREATE TABLE reader_keys (
  reader_id text PRIMARY KEY CHECK (reader_id <> ''),
  key_ciphertext bytea NOT NULL CHECK (length(key_ciphertext) = 32),
  key_nonce bytea NOT NULL CHECK (length(key_nonce) = 24),
  set_at timestamptz NOT NULL DEFAULT now(),
  set_by text NOT NULL CHECK (set_by <> '')
);
COMMENT ON TABLE reader_keys IS 'The Secure Channel base key (SCBK) of each reader, encrypted; a reader without a row has none yet (install mode gives it one).';
COMMENT ON COLUMN reader_keys.reader_id IS 'The reader.';
COMMENT ON COLUMN reader_keys.key_ciphertext IS 'The 16-byte SCBK sealed with crypto_secretbox (16 bytes of MAC + 16 of key).';
COMMENT ON COLUMN reader_keys.key_nonce IS 'The secretbox nonce (24 bytes).';
COMMENT ON COLUMN reader_keys.set_at IS 'When the key was set (UTC).';
COMMENT ON COLUMN reader_keys.set_by IS 'Who or what set it: the controller that ran KEYSET, or an operator.';

CREATE TABLE reader_install_mode (
  reader_id text PRIMARY KEY CHECK (reader_id <> ''),
  enabled_by text NOT NULL CHECK (enabled_by <> ''),
  enabled_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > enabled_at)
);
COMMENT ON TABLE reader_install_mode IS 'Readers an operator allowed to use the default install key SCBK-D until a per-reader key is set (KEYSET) or the time runs out.';
COMMENT ON COLUMN reader_install_mode.reader_id IS 'The reader.';
COMMENT ON COLUMN reader_install_mode.enabled_by IS 'The operator who enabled install mode.';
COMMENT ON COLUMN reader_install_mode.enabled_at IS 'When (UTC).';
COMMENT ON COLUMN reader_install_mode.expires_at IS 'Install mode ends at this time (UTC) even if no key was set.';

CREATE FUNCTION reader_keys_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('gatehouse_access', 'reader:' || CASE WHEN TG_OP = 'DELETE' THEN OLD.reader_id ELSE NEW.reader_id END);
  RETURN NULL;
END;
$$;
COMMENT ON FUNCTION reader_keys_notify() IS 'Tells running controllers a reader''s key or install mode changed (payload reader:<reader id>).';
CREATE TRIGGER reader_keys_notify AFTER INSERT OR UPDATE OR DELETE ON reader_keys
  FOR EACH ROW EXECUTE FUNCTION reader_keys_notify();
CREATE TRIGGER reader_install_mode_notify AFTER INSERT OR UPDATE OR DELETE ON reader_install_mode
  FOR EACH ROW EXECUTE FUNCTION reader_keys_notify();
