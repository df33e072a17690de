-- A shop's currency is fixed once its deposit account exists: the account, its ledger and the
-- rules that priced its requirement are in that currency. A shop moved to a currency without
-- rules was required 0.00 and could withdraw everything (found by ops editing it in the admin).
-- deposits.services.shop_profile_change refuses it with a form error; this is the backstop for
-- every other path (admin forms, shell, raw SQL).
CREATE OR REPLACE FUNCTION deposits_shop_currency_fixed() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM deposits_account WHERE shop_id = NEW.id) THEN
        RAISE EXCEPTION 'currency: fixed once money has moved (shop %, % → %)',
            NEW.id, OLD.currency, NEW.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS shop_currency_fixed ON shops_shop;
CREATE TRIGGER shop_currency_fixed
    BEFORE UPDATE OF currency ON shops_shop
    FOR EACH ROW
    WHEN (OLD.currency IS DISTINCT FROM NEW.currency)
    EXECUTE FUNCTION deposits_shop_currency_fixed();
