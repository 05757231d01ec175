package ui

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Records are the control room's own records (*store.Store): bookmarks of
// incidents and each user's saved walls.
type Records interface {
	AddBookmark(ctx context.Context, b *store.Bookmark) error
	Bookmarks(ctx context.Context, q store.BookmarkQuery) ([]store.Bookmark, error)
	BookmarkByID(ctx context.Context, id int64) (store.Bookmark, error)
	DeleteBookmark(ctx context.Context, id int64) error
	SaveWall(ctx context.Context, w *store.Wall) error
	Walls(ctx context.Context, userID int64) ([]store.Wall, error)
	DeleteWall(ctx context.Context, userID, id int64) error
}

type bookmarkAPI struct {
	records Records
	gate    *gate
	logger  *slog.Logger
}

func (a *bookmarkAPI) routes(rt *router) {
	rt.handle("POST /api/v1/bookmarks", allow(auth.BookmarksWrite), a.create)
	rt.handle("GET /api/v1/bookmarks", allow(auth.BookmarksRead), a.list)
	rt.handle("DELETE /api/v1/bookmarks/{id}", allow(auth.BookmarksWrite), a.delete)
}

type bookmarkJSON struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	AtLocal   string    `json:"at_local"`
	Cameras   []string  `json:"cameras"`
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func viewBookmark(b store.Bookmark) bookmarkJSON {
	return bookmarkJSON{ID: b.ID, At: b.At, AtLocal: local(b.At), Cameras: b.Cameras, Note: b.Note,
		CreatedBy: b.CreatedBy, CreatedAt: b.Created}
}

func (a *bookmarkAPI) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		At      string   `json:"at"`
		Cameras []string `json:"cameras"`
		Note    string   `json:"note"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	var f fields
	b := store.Bookmark{At: f.time("at", in.At, true), Note: strings.TrimSpace(in.Note),
		CreatedBy: who(r).user.Username, Created: a.gate.now().UTC()}
	for _, c := range in.Cameras {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(b.Cameras, c) {
			b.Cameras = append(b.Cameras, c)
		}
	}
	if !f.ok(w) {
		return
	}
	for _, c := range b.Cameras {
		if !a.gate.inScope(w, r, c) {
			return
		}
	}
	if err := a.records.AddBookmark(r.Context(), &b); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	writeJSON(w, http.StatusCreated, viewBookmark(b))
}

// list searches bookmarks: ?q= in the note, ?camera=, ?from= and ?to=
// (RFC 3339), ?limit=. Cameras outside the caller's scope are left out, and
// a bookmark with none left is not shown.
func (a *bookmarkAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f fields
	query := store.BookmarkQuery{Text: strings.TrimSpace(q.Get("q")), Camera: q.Get("camera"),
		From: f.time("from", q.Get("from"), false), To: f.time("to", q.Get("to"), false)}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			f.bad("limit", "%q must be a number from 1 to 500", v)
		}
		query.Limit = n
	}
	if len(query.Text) > 200 {
		f.bad("q", "at most 200 characters")
	}
	if !f.ok(w) {
		return
	}
	list, err := a.records.Bookmarks(r.Context(), query)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	out := []bookmarkJSON{}
	for _, b := range list {
		b.Cameras = slices.DeleteFunc(b.Cameras, func(c string) bool { return !a.gate.visible(r, c) })
		if len(b.Cameras) > 0 {
			out = append(out, viewBookmark(b))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"bookmarks": out})
}

// delete removes a bookmark: its author's, or any for a supervisor.
func (a *bookmarkAPI) delete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id", "a bookmark")
	if !ok {
		return
	}
	b, err := a.records.BookmarkByID(r.Context(), id)
	if err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	p := who(r)
	if b.CreatedBy != p.user.Username && !p.has(auth.Supervisor) {
		a.gate.forbid(w, r, p, r.Pattern, "only its author or a supervisor may delete a bookmark")
		return
	}
	if err := a.records.DeleteBookmark(r.Context(), id); err != nil {
		failStore(w, a.logger, err, "")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
