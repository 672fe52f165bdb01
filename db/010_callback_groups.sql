-- Who a request is for: the directorate's operators (switchboard or staff), or an office
-- (internal unit) the caller chose in the menu: 'operators' or 'unit:<unit id>'. An office's
-- requests are placed by that unit's officials.
ALTER TABLE callbacks ADD COLUMN callback_group TEXT NOT NULL DEFAULT 'operators';
