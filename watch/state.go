package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jsmbot/jsmbot/store"
)

// stateKey is the store blob holding the watch's [state]: one value, so
// that the cursor and what was alerted up to it change together.
const stateKey = "watch:state"

// state is what the watch remembers across polls and replicas.
type state struct {
	// Started: the first full audit ran; projects broken then are not
	// alerted.
	Started bool `json:"started"`
	// Cursor is where the next read of the log starts.
	Cursor cursor `json:"cursor"`
	// LastFull is when the last full audit finished.
	LastFull time.Time `json:"lastFull,omitzero"`
	// Unreadable: the last read of the log failed (said once in the log).
	Unreadable bool `json:"unreadable,omitempty"`
	// Broken are the projects known broken, by key; a project not listed
	// is healthy (or unknown).
	Broken map[string]brokenProject `json:"broken"`
}

// cursor is the newest audit record read: its creation time (Jira's
// clock) and the ids of the records read at exactly that time, since the
// log's from parameter is inclusive.
type cursor struct {
	Set bool      `json:"set"`
	At  time.Time `json:"at,omitzero"`
	IDs []int64   `json:"ids,omitempty"`
}

// seen reports whether a record created at at with id id is at or before
// the cursor.
func (c cursor) seen(at time.Time, id int64) bool {
	if !c.Set {
		return false
	}
	return at.Before(c.At) || at.Equal(c.At) && slices.Contains(c.IDs, id)
}

// advance moves the cursor past a record.
func (c *cursor) advance(at time.Time, id int64) {
	switch {
	case !c.Set || at.After(c.At):
		c.Set, c.At, c.IDs = true, at, []int64{id}
	case at.Equal(c.At) && !slices.Contains(c.IDs, id):
		c.IDs = append(c.IDs, id)
	}
}

// brokenProject is a project the watch knows broken.
type brokenProject struct {
	// Since is when the watch noticed it.
	Since time.Time `json:"since"`
	// Ref is the sink's reference to the alert; empty while no alert was
	// made.
	Ref string `json:"ref,omitempty"`
	// Quiet: broken before the watch started, never alerted.
	Quiet bool `json:"quiet,omitempty"`
}

// pending reports whether the project still awaits its alert.
func (b brokenProject) pending() bool { return b.Ref == "" && !b.Quiet }

// load reads the state from the store; a missing one is a fresh start.
func (w *Watcher) load(ctx context.Context) (*state, error) {
	raw, err := w.store.Blob(ctx, stateKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &state{Broken: map[string]brokenProject{}}, nil
	case err != nil:
		return nil, fmt.Errorf("watch: load the state: %w", err)
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		// A state this version cannot read starts afresh rather than
		// stopping the watch for good.
		w.log.Warn("the stored watch state is unreadable; starting afresh", "err", err)
		return &state{Broken: map[string]brokenProject{}}, nil
	}
	if st.Broken == nil {
		st.Broken = map[string]brokenProject{}
	}
	return &st, nil
}

// save writes the state. It outlives several full-audit periods, so a
// quiet site (no write for days) keeps its cursor.
func (w *Watcher) save(ctx context.Context, st *state) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("watch: encode the state: %w", err)
	}
	ttl := max(store.DefaultRetention, 3*w.cfg.FullEvery)
	if err := w.store.PutBlob(ctx, stateKey, raw, ttl); err != nil {
		return fmt.Errorf("watch: save the state: %w", err)
	}
	return nil
}
