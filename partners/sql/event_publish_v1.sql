-- Installed by migration partners 0005_event_publish_function. Never edit this file once released: databases that already ran
-- the migration would keep the old body while new ones got the new. A change is a new file
-- (event_publish_v2.sql) installed by a new migration.
--
-- The outbox write, owned by the partners app (partners/services/events.py explains the outbox).
--
-- One function so that every writer publishes the same way: `event_publish` in Python calls it,
-- and so does the ledger's posting function (deposits/sql/posting_v1.sql), which must write its
-- `deposit.entry_posted` event in the posting's own statement. It records the event and one
-- PENDING delivery per active endpoint of the partner that wants this type ('*' or the type),
-- and returns the event id and the delivery ids (for the caller to enqueue after commit).
CREATE OR REPLACE FUNCTION partners_event_publish(
    p_public_id uuid,
    p_partner_id bigint,
    p_type text,
    p_ordering_key text,
    p_data jsonb,
    p_now timestamptz,
    p_give_up_at timestamptz,
    OUT o_event_id bigint,
    OUT o_delivery_ids bigint[]
) AS $$
BEGIN
    INSERT INTO partners_event (public_id, partner_id, type, ordering_key, data, created_at)
    VALUES (p_public_id, p_partner_id, p_type, p_ordering_key, p_data, p_now)
    RETURNING id INTO o_event_id;

    IF p_partner_id IS NULL THEN
        RETURN;
    END IF;
    WITH d AS (
        INSERT INTO partners_delivery (event_id, endpoint_id, ordering_key, status, attempts,
            next_attempt_at, give_up_at, last_error, created_at)
        SELECT o_event_id, e.id, p_ordering_key, 'PENDING', 0, p_now, p_give_up_at, '', p_now
          FROM partners_webhookendpoint e
         WHERE e.partner_id = p_partner_id AND e.is_active
           AND (e.event_types @> '["*"]'::jsonb OR e.event_types @> jsonb_build_array(p_type))
         ORDER BY e.id
        RETURNING id
    )
    SELECT array_agg(id ORDER BY id) INTO o_delivery_ids FROM d;
END;
$$ LANGUAGE plpgsql;
