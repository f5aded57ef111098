-- +goose Up

-- options are the editable value lists (来源, 行业, 客户级别, 活动类型, 跟进方式).
-- Records point at them by id, so renaming is free and a value in use
-- cannot be deleted (the foreign keys refuse).
CREATE TABLE options (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('source', 'industry', 'customer_level', 'campaign_type', 'follow_up_method')),
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    position    integer NOT NULL DEFAULT 0,
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT options_kind_name_key UNIQUE (kind, name)
);
CREATE INDEX options_kind_idx ON options (kind, position, id);

-- The default values; admins rename, reorder and extend them on /admin/options.
INSERT INTO options (kind, name, name_en, position) VALUES
    ('source', '官网', 'Website', 1), ('source', '展会', 'Trade show', 2), ('source', '广告', 'Advertising', 3),
    ('source', '转介绍', 'Referral', 4), ('source', '电话营销', 'Telemarketing', 5), ('source', '社交媒体', 'Social media', 6),
    ('source', '其他', 'Other', 7),
    ('industry', '制造业', 'Manufacturing', 1), ('industry', '互联网', 'Internet', 2), ('industry', '教育', 'Education', 3),
    ('industry', '医疗健康', 'Healthcare', 4), ('industry', '零售', 'Retail', 5), ('industry', '金融', 'Finance', 6),
    ('industry', '其他', 'Other', 7),
    ('customer_level', 'A 重点客户', 'A – key account', 1), ('customer_level', 'B 普通客户', 'B – regular', 2),
    ('customer_level', 'C 一般客户', 'C – occasional', 3),
    ('campaign_type', '展会', 'Trade show', 1), ('campaign_type', '线上广告', 'Online ads', 2),
    ('campaign_type', '研讨会', 'Seminar', 3), ('campaign_type', '地推', 'Street promotion', 4), ('campaign_type', '其他', 'Other', 5),
    ('follow_up_method', '电话', 'Phone', 1), ('follow_up_method', '微信', 'WeChat', 2), ('follow_up_method', '拜访', 'Visit', 3),
    ('follow_up_method', '邮件', 'Email', 4), ('follow_up_method', '会议', 'Meeting', 5);

-- history keeps every change of a business record: who, when, what action,
-- and each field's old and new value (changes: [{"f": field, "o": old, "n": new}]).
CREATE TABLE history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource   text NOT NULL,
    record_id  bigint NOT NULL,
    actor_id   bigint REFERENCES employees (id),
    at         timestamptz NOT NULL DEFAULT now(),
    action     text NOT NULL,
    changes    jsonb NOT NULL DEFAULT '[]',
    imported   boolean NOT NULL DEFAULT false
);
CREATE INDEX history_record_idx ON history (resource, record_id, id DESC);

-- Every owned table carries owner_id, department_id and created_by (see
-- postgres/scope.go); records under a customer (or, for follow-ups, under a
-- lead) also carry customer_owner_id and customer_department_id: the
-- parent's owner and department, rewritten when those change.

CREATE TABLE campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    type_id         bigint REFERENCES options (id),
    status          text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'active', 'finished', 'cancelled')),
    start_date      date,
    end_date        date,
    budget          numeric(14, 2) NOT NULL DEFAULT 0 CHECK (budget >= 0),
    actual_cost     numeric(14, 2) NOT NULL DEFAULT 0 CHECK (actual_cost >= 0),
    description     text NOT NULL DEFAULT '',
    owner_id        bigint REFERENCES employees (id),
    department_id   bigint REFERENCES departments (id),
    created_by      bigint NOT NULL REFERENCES employees (id),
    -- figures kept current by triggers (never summed on a page view)
    lead_count      integer NOT NULL DEFAULT 0,
    customer_count  integer NOT NULL DEFAULT 0,
    deal_amount     numeric(16, 2) NOT NULL DEFAULT 0,
    is_demo         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_dates CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX campaigns_owner_idx ON campaigns (owner_id);
CREATE INDEX campaigns_created_by_idx ON campaigns (created_by);
CREATE INDEX campaigns_department_idx ON campaigns (department_id);
CREATE INDEX campaigns_created_idx ON campaigns (created_at DESC, id DESC);
CREATE INDEX campaigns_type_idx ON campaigns (type_id);
CREATE INDEX campaigns_name_trgm ON campaigns USING gin (name gin_trgm_ops);

CREATE TABLE leads (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    company            text NOT NULL DEFAULT '',
    title              text NOT NULL DEFAULT '',
    phone              text NOT NULL DEFAULT '',
    email              text NOT NULL DEFAULT '',
    source_id          bigint REFERENCES options (id),
    campaign_id        bigint REFERENCES campaigns (id),
    status             text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'following', 'converted', 'invalid')),
    notes              text NOT NULL DEFAULT '',
    next_follow_up_at  timestamptz,
    last_follow_up_at  timestamptz,
    customer_id        bigint,
    converted_at       timestamptz,
    owner_id           bigint REFERENCES employees (id),
    department_id      bigint REFERENCES departments (id),
    created_by         bigint NOT NULL REFERENCES employees (id),
    deal_amount        numeric(16, 2) NOT NULL DEFAULT 0,
    deal_count         integer NOT NULL DEFAULT 0,
    is_demo            boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT leads_converted CHECK ((status = 'converted') = (customer_id IS NOT NULL))
);
CREATE INDEX leads_owner_idx ON leads (owner_id, created_at DESC);
CREATE INDEX leads_created_by_idx ON leads (created_by);
CREATE INDEX leads_department_idx ON leads (department_id, created_at DESC);
CREATE INDEX leads_pool_idx ON leads (department_id, created_at DESC) WHERE owner_id IS NULL;
CREATE INDEX leads_campaign_idx ON leads (campaign_id);
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC);
CREATE INDEX leads_phone_idx ON leads (phone text_pattern_ops);
CREATE INDEX leads_search_trgm ON leads USING gin ((name || ' ' || company || ' ' || phone) gin_trgm_ops);
CREATE INDEX leads_source_idx ON leads (source_id);
CREATE INDEX leads_next_follow_up_idx ON leads (next_follow_up_at) WHERE next_follow_up_at IS NOT NULL;

CREATE TABLE customers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL,
    stage              text NOT NULL DEFAULT 'potential' CHECK (stage IN ('potential', 'won')),
    level_id           bigint REFERENCES options (id),
    industry_id        bigint REFERENCES options (id),
    source_id          bigint REFERENCES options (id),
    campaign_id        bigint REFERENCES campaigns (id),
    lead_id            bigint REFERENCES leads (id),
    phone              text NOT NULL DEFAULT '',
    address            text NOT NULL DEFAULT '',
    notes              text NOT NULL DEFAULT '',
    owner_id           bigint REFERENCES employees (id),
    department_id      bigint REFERENCES departments (id),
    created_by         bigint NOT NULL REFERENCES employees (id),
    last_follow_up_at  timestamptz,
    next_follow_up_at  timestamptz,
    -- figures kept current on write (by the orders, payments and invoices workflows)
    deal_amount        numeric(16, 2) NOT NULL DEFAULT 0,
    deal_count         integer NOT NULL DEFAULT 0,
    paid_amount        numeric(16, 2) NOT NULL DEFAULT 0,
    invoiced_amount    numeric(16, 2) NOT NULL DEFAULT 0,
    is_demo            boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_owner_idx ON customers (owner_id, created_at DESC);
CREATE INDEX customers_created_by_idx ON customers (created_by);
CREATE INDEX customers_department_idx ON customers (department_id, created_at DESC);
CREATE INDEX customers_pool_idx ON customers (department_id, created_at DESC) WHERE owner_id IS NULL;
CREATE INDEX customers_campaign_idx ON customers (campaign_id);
CREATE INDEX customers_lead_idx ON customers (lead_id);
CREATE INDEX customers_created_idx ON customers (created_at DESC, id DESC);
CREATE INDEX customers_deal_idx ON customers (deal_amount DESC, id DESC);
CREATE INDEX customers_phone_idx ON customers (phone text_pattern_ops);
CREATE INDEX customers_name_idx ON customers (name);
CREATE INDEX customers_search_trgm ON customers USING gin ((name || ' ' || phone) gin_trgm_ops);
CREATE INDEX customers_source_idx ON customers (source_id);
CREATE INDEX customers_level_idx ON customers (level_id);
CREATE INDEX customers_industry_idx ON customers (industry_id);
CREATE INDEX customers_last_follow_up_idx ON customers (last_follow_up_at, id);
CREATE INDEX customers_next_follow_up_idx ON customers (next_follow_up_at) WHERE next_follow_up_at IS NOT NULL;

ALTER TABLE leads ADD CONSTRAINT leads_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
CREATE INDEX leads_customer_idx ON leads (customer_id);

CREATE TABLE customer_collaborators (
    customer_id  bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    employee_id  bigint NOT NULL REFERENCES employees (id),
    added_by     bigint REFERENCES employees (id),
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, employee_id)
);
CREATE INDEX customer_collaborators_employee_idx ON customer_collaborators (employee_id, customer_id);

CREATE TABLE contacts (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id             bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name                    text NOT NULL,
    title                   text NOT NULL DEFAULT '',
    phone                   text NOT NULL DEFAULT '',
    email                   text NOT NULL DEFAULT '',
    notes                   text NOT NULL DEFAULT '',
    is_primary              boolean NOT NULL DEFAULT false,
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary;
CREATE INDEX contacts_customer_idx ON contacts (customer_id);
CREATE INDEX contacts_owner_idx ON contacts (owner_id);
CREATE INDEX contacts_created_by_idx ON contacts (created_by);
CREATE INDEX contacts_department_idx ON contacts (department_id);
CREATE INDEX contacts_customer_owner_idx ON contacts (customer_owner_id);
CREATE INDEX contacts_customer_department_idx ON contacts (customer_department_id);
CREATE INDEX contacts_name_idx ON contacts (name, id);
CREATE INDEX contacts_created_idx ON contacts (created_at DESC, id DESC);
CREATE INDEX contacts_search_trgm ON contacts USING gin ((name || ' ' || phone) gin_trgm_ops);

CREATE TABLE follow_ups (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id                 bigint REFERENCES leads (id) ON DELETE CASCADE,
    customer_id             bigint REFERENCES customers (id) ON DELETE CASCADE,
    method_id               bigint REFERENCES options (id),
    content                 text NOT NULL,
    followed_at             timestamptz NOT NULL DEFAULT now(),
    next_at                 timestamptz,
    owner_id                bigint REFERENCES employees (id),
    department_id           bigint REFERENCES departments (id),
    created_by              bigint NOT NULL REFERENCES employees (id),
    customer_owner_id       bigint REFERENCES employees (id),
    customer_department_id  bigint REFERENCES departments (id),
    is_demo                 boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT follow_ups_one_parent CHECK (num_nonnulls(lead_id, customer_id) = 1)
);
CREATE INDEX follow_ups_customer_idx ON follow_ups (customer_id, followed_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX follow_ups_lead_idx ON follow_ups (lead_id, followed_at DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX follow_ups_owner_idx ON follow_ups (owner_id, followed_at DESC);
CREATE INDEX follow_ups_created_by_idx ON follow_ups (created_by);
CREATE INDEX follow_ups_department_idx ON follow_ups (department_id, followed_at DESC);
CREATE INDEX follow_ups_customer_owner_idx ON follow_ups (customer_owner_id);
CREATE INDEX follow_ups_customer_department_idx ON follow_ups (customer_department_id);
CREATE INDEX follow_ups_method_idx ON follow_ups (method_id);
CREATE INDEX follow_ups_followed_idx ON follow_ups (followed_at DESC, id DESC);

-- Campaign figures: 线索数 counts leads, 客户数 customers, 成交金额 sums the
-- customers' approved-order totals (customers.deal_amount, kept by the orders
-- workflow). Statement-level triggers with transition tables do one UPDATE
-- per campaign per statement, so bulk imports stay cheap.

-- +goose StatementBegin
CREATE FUNCTION leads_campaign_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE campaigns c SET lead_count = c.lead_count + d.n
        FROM (SELECT campaign_id, count(*) AS n FROM new_rows WHERE campaign_id IS NOT NULL GROUP BY campaign_id) d
        WHERE c.id = d.campaign_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE campaigns c SET lead_count = c.lead_count - d.n
        FROM (SELECT campaign_id, count(*) AS n FROM old_rows WHERE campaign_id IS NOT NULL GROUP BY campaign_id) d
        WHERE c.id = d.campaign_id;
    ELSE
        UPDATE campaigns c SET lead_count = c.lead_count + d.n
        FROM (SELECT campaign_id, sum(n) AS n FROM (
                  SELECT campaign_id, 1 AS n FROM new_rows WHERE campaign_id IS NOT NULL
                  UNION ALL SELECT campaign_id, -1 FROM old_rows WHERE campaign_id IS NOT NULL) x
              GROUP BY campaign_id HAVING sum(n) <> 0) d
        WHERE c.id = d.campaign_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER leads_campaign_figures_ins AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION leads_campaign_figures();
CREATE TRIGGER leads_campaign_figures_del AFTER DELETE ON leads REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION leads_campaign_figures();
CREATE TRIGGER leads_campaign_figures_upd AFTER UPDATE ON leads REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION leads_campaign_figures();

-- Customers move their campaign's 客户数 and 成交金额, and their origin lead's
-- 成交金额 and 成交次数.
-- +goose StatementBegin
CREATE FUNCTION customers_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE campaigns c SET customer_count = c.customer_count + d.n, deal_amount = c.deal_amount + d.amount
        FROM (SELECT campaign_id, count(*) AS n, sum(deal_amount) AS amount FROM new_rows
              WHERE campaign_id IS NOT NULL GROUP BY campaign_id) d
        WHERE c.id = d.campaign_id;
        UPDATE leads l SET deal_amount = l.deal_amount + d.amount, deal_count = l.deal_count + d.deals
        FROM (SELECT lead_id, sum(deal_amount) AS amount, sum(deal_count) AS deals FROM new_rows
              WHERE lead_id IS NOT NULL GROUP BY lead_id HAVING sum(deal_amount) <> 0 OR sum(deal_count) <> 0) d
        WHERE l.id = d.lead_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE campaigns c SET customer_count = c.customer_count - d.n, deal_amount = c.deal_amount - d.amount
        FROM (SELECT campaign_id, count(*) AS n, sum(deal_amount) AS amount FROM old_rows
              WHERE campaign_id IS NOT NULL GROUP BY campaign_id) d
        WHERE c.id = d.campaign_id;
        UPDATE leads l SET deal_amount = l.deal_amount - d.amount, deal_count = l.deal_count - d.deals
        FROM (SELECT lead_id, sum(deal_amount) AS amount, sum(deal_count) AS deals FROM old_rows
              WHERE lead_id IS NOT NULL GROUP BY lead_id HAVING sum(deal_amount) <> 0 OR sum(deal_count) <> 0) d
        WHERE l.id = d.lead_id;
    ELSE
        -- Only rows whose campaign, lead or figures changed contribute.
        WITH changed AS (
            SELECT o.campaign_id AS old_campaign, o.lead_id AS old_lead, o.deal_amount AS old_amount, o.deal_count AS old_deals,
                   n.campaign_id AS new_campaign, n.lead_id AS new_lead, n.deal_amount AS new_amount, n.deal_count AS new_deals
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.campaign_id, o.lead_id, o.deal_amount, o.deal_count) IS DISTINCT FROM (n.campaign_id, n.lead_id, n.deal_amount, n.deal_count)
        ), delta AS (
            SELECT new_campaign AS campaign_id, new_lead AS lead_id, 1 AS n, new_amount AS amount, new_deals AS deals FROM changed
            UNION ALL
            SELECT old_campaign, old_lead, -1, -old_amount, -old_deals FROM changed
        ), by_campaign AS (
            UPDATE campaigns c SET customer_count = c.customer_count + d.n, deal_amount = c.deal_amount + d.amount
            FROM (SELECT campaign_id, sum(n) AS n, sum(amount) AS amount FROM delta WHERE campaign_id IS NOT NULL
                  GROUP BY campaign_id HAVING sum(n) <> 0 OR sum(amount) <> 0) d
            WHERE c.id = d.campaign_id
            RETURNING 1
        )
        UPDATE leads l SET deal_amount = l.deal_amount + d.amount, deal_count = l.deal_count + d.deals
        FROM (SELECT lead_id, sum(amount) AS amount, sum(deals) AS deals FROM delta WHERE lead_id IS NOT NULL
              GROUP BY lead_id HAVING sum(amount) <> 0 OR sum(deals) <> 0) d
        WHERE l.id = d.lead_id AND (SELECT count(*) FROM by_campaign) >= 0;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER customers_figures_ins AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figures();
CREATE TRIGGER customers_figures_del AFTER DELETE ON customers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figures();
CREATE TRIGGER customers_figures_upd AFTER UPDATE ON customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customers_figures();

-- +goose Down
DROP TABLE follow_ups;
DROP TABLE contacts;
DROP TABLE customer_collaborators;
ALTER TABLE leads DROP CONSTRAINT leads_customer_fk;
DROP TABLE customers;
DROP FUNCTION customers_figures();
DROP TABLE leads;
DROP FUNCTION leads_campaign_figures();
DROP TABLE campaigns;
DROP TABLE history;
DROP TABLE options;
