-- +goose Up
-- Sorting payments and invoices by their dates, and searching quote and
-- order numbers by substring, without scanning the tables.
CREATE INDEX payments_paid_on_idx ON payments (paid_on DESC, id DESC);
CREATE INDEX invoices_issued_on_idx ON invoices (issued_on DESC, id DESC);
CREATE INDEX quotes_number_trgm ON quotes USING gin (number gin_trgm_ops);
CREATE INDEX orders_number_trgm ON orders USING gin (number gin_trgm_ops);

-- +goose Down
DROP INDEX orders_number_trgm;
DROP INDEX quotes_number_trgm;
DROP INDEX invoices_issued_on_idx;
DROP INDEX payments_paid_on_idx;
