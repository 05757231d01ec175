package ui

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

type watchJSON struct {
	ID       int64     `json:"id"`
	Plate    string    `json:"plate"`
	Category string    `json:"category"`
	Reason   string    `json:"reason"`
	AddedBy  string    `json:"added_by"`
	Added    time.Time `json:"added"`
	Expires  time.Time `json:"expires"`
	Expired  bool      `json:"expired"`
}

func viewWatch(w store.Watch, now time.Time) watchJSON {
	return watchJSON{ID: w.ID, Plate: w.Plate, Category: w.Category, Reason: w.Reason, AddedBy: w.AddedBy,
		Added: w.Added, Expires: w.Expires, Expired: !w.Expires.After(now)}
}

// watchInput is a listing as a supervisor sends it; expires defaults to
// 90 days on.
type watchInput struct {
	Plate    string `json:"plate"`
	Category string `json:"category"`
	Reason   string `json:"reason"`
	Expires  string `json:"expires"`
}

// defaultWatchTerm is how long a listing lasts unless its expiry is given.
const defaultWatchTerm = 90 * 24 * time.Hour

func (in watchInput) watch(f *fields, now time.Time) store.Watch {
	w := store.Watch{Plate: in.Plate, Category: in.Category, Reason: in.Reason, Added: now,
		Expires: f.time("expires", in.Expires, false)}
	if w.Expires.IsZero() {
		w.Expires = now.Add(defaultWatchTerm)
	}
	return w
}

// watchlist answers the listed vehicles, expired ones too (?active=1 only
// those in force), by plate.
func (a *anprAPI) watchlist(w http.ResponseWriter, r *http.Request) {
	now := a.now()
	at := time.Time{}
	if r.URL.Query().Get("active") == "1" {
		at = now
	}
	list, err := a.plates.Watches(r.Context(), at)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := make([]watchJSON, 0, len(list))
	for _, x := range list {
		out = append(out, viewWatch(x, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"watchlist": out})
}

// readWatch reads a listing from the request body, answering 400 or 422
// itself when it cannot.
func (a *anprAPI) readWatch(w http.ResponseWriter, r *http.Request) (store.Watch, time.Time, bool) {
	var in watchInput
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return store.Watch{}, time.Time{}, false
	}
	var f fields
	now := a.now()
	x := in.watch(&f, now)
	return x, now, f.ok(w)
}

func (a *anprAPI) addWatch(w http.ResponseWriter, r *http.Request) {
	x, now, ok := a.readWatch(w, r)
	if !ok {
		return
	}
	p := who(r)
	x.AddedBy = p.user.Username
	if err := a.plates.AddWatch(r.Context(), &x); err != nil {
		failStore(w, a.logger, err, "", store.ErrWatchExists)
		return
	}
	if !a.logWatch(w, r, "listed", x) {
		return
	}
	writeJSON(w, http.StatusCreated, viewWatch(x, now))
}

func (a *anprAPI) updateWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "watch", "a watch-list")
	if !ok {
		return
	}
	x, now, ok := a.readWatch(w, r)
	if !ok {
		return
	}
	x.ID = id
	if err := a.plates.UpdateWatch(r.Context(), x); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	x, err := a.plates.Watch(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	if !a.logWatch(w, r, "changed", x) {
		return
	}
	writeJSON(w, http.StatusOK, viewWatch(x, now))
}

// deleteWatch unlists a vehicle; ?reason= says why (required).
func (a *anprAPI) deleteWatch(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "watch", "a watch-list")
	if !ok {
		return
	}
	reason, _, ok := accessReason(w, r)
	if !ok {
		return
	}
	x, err := a.plates.DeleteWatch(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	x.Reason = reason
	if !a.logWatch(w, r, "unlisted", x) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// logWatch records a watch-list change (the store first, then the log, as
// for holds: an entry cannot be taken back) and tells the matcher.
func (a *anprAPI) logWatch(w http.ResponseWriter, r *http.Request, what string, x store.Watch) bool {
	if a.changed != nil {
		a.changed()
	}
	p := who(r)
	if _, err := a.audit.Append(r.Context(), &evidence.Entry{Action: evidence.ActionWatchlistChanged, Actor: p.actor,
		Role: string(p.role), Reason: x.Reason, Ref: fmt.Sprintf("watchlist/%d", x.ID),
		Detail: clip(fmt.Sprintf("%s %s (%s) until %s", what, x.Plate, x.Category, x.Expires.UTC().Format(time.RFC3339)), 500)}); err != nil {
		a.logger.Error("watch-list changed but not recorded in the evidence log", "plate", x.Plate, "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf(
			"%s was %s, but the evidence log could not record it: the evidence log is down; see the service log", x.Plate, what), nil)
		return false
	}
	return true
}
