-- +goose Up

-- The board of everyone's opportunities counts and sums each stage (up to
-- the cap) from the stage index alone (an index-only scan).
DROP INDEX opportunities_stage_idx;
CREATE INDEX opportunities_stage_idx ON opportunities (stage, stage_changed_at DESC, id DESC) INCLUDE (expected_amount);

-- A rep's own board (我负责的, the reps' default): counted, summed and
-- numbered per stage from one range of this index.
CREATE INDEX opportunities_owner_stage_idx ON opportunities (owner_id, stage, stage_changed_at DESC, id DESC)
    INCLUDE (expected_amount) WHERE owner_id IS NOT NULL;

-- +goose Down
DROP INDEX opportunities_owner_stage_idx;
DROP INDEX opportunities_stage_idx;
CREATE INDEX opportunities_stage_idx ON opportunities (stage, stage_changed_at DESC, id DESC);
