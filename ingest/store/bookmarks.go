package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Bookmark marks an incident: a moment on one or more cameras, with a note.
type Bookmark struct {
	ID        int64
	At        time.Time
	Cameras   []string
	Note      string
	CreatedBy string // username
	Created   time.Time
}

// Bounds of a bookmark.
const (
	MaxBookmarkNote    = 2000
	MaxBookmarkCameras = 25
)

func (b *Bookmark) validate() error {
	var fe FieldErrors
	if b.At.IsZero() {
		fe = append(fe, &FieldError{Field: "at", Msg: "is required (RFC 3339)"})
	}
	if len(b.Cameras) == 0 || len(b.Cameras) > MaxBookmarkCameras {
		fe = append(fe, &FieldError{Field: "cameras", Msg: fmt.Sprintf("name 1-%d cameras", MaxBookmarkCameras)})
	}
	for _, c := range b.Cameras {
		if !idPattern.MatchString(c) {
			fe = append(fe, &FieldError{Field: "cameras", Msg: fmt.Sprintf("%q is not a camera id", c)})
		}
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(b.Note)); n == 0 || n > MaxBookmarkNote || !utf8.ValidString(b.Note) {
		fe = append(fe, &FieldError{Field: "note", Msg: fmt.Sprintf("say what happened (1-%d characters)", MaxBookmarkNote)})
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// AddBookmark stores a bookmark and sets its ID.
func (s *Store) AddBookmark(ctx context.Context, b *Bookmark) error {
	if err := b.validate(); err != nil {
		return err
	}
	// Cameras are stored as ",a,b," so that one camera is a LIKE match.
	err := s.db.QueryRowContext(ctx, `INSERT INTO bookmarks (at_us, cameras, note, created_by, created_us)
		VALUES ($1,$2,$3,$4,$5) RETURNING id`, toMicros(b.At), ","+strings.Join(b.Cameras, ",")+",", b.Note, b.CreatedBy, toMicros(b.Created)).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("add bookmark: %w", err)
	}
	return nil
}

// BookmarkQuery selects bookmarks; zero fields do not filter.
type BookmarkQuery struct {
	Text     string // in the note, case-insensitive
	Camera   string
	From, To time.Time // At in [From, To)
	Limit    int       // at most 500; 0 is 100
}

const bookmarkColumns = `id, at_us, cameras, note, created_by, created_us`

func scanBookmark(row scanner) (Bookmark, error) {
	var b Bookmark
	var at, created int64
	var cams string
	if err := row.Scan(&b.ID, &at, &cams, &b.Note, &b.CreatedBy, &created); err != nil {
		return Bookmark{}, err
	}
	b.At, b.Created = fromMicros(at), fromMicros(created)
	b.Cameras = strings.Split(strings.Trim(cams, ","), ",")
	return b, nil
}

// likeEscape makes s a literal inside a LIKE pattern (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Bookmarks lists bookmarks, newest first.
func (s *Store) Bookmarks(ctx context.Context, q BookmarkQuery) ([]Bookmark, error) {
	where, args := []string{"1=1"}, []any{}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if q.Text != "" {
		where = append(where, `lower(note) LIKE lower(`+arg("%"+likeEscape(q.Text)+"%")+`) ESCAPE '\'`)
	}
	if q.Camera != "" {
		where = append(where, `cameras LIKE `+arg("%,"+likeEscape(q.Camera)+",%")+` ESCAPE '\'`)
	}
	if !q.From.IsZero() {
		where = append(where, "at_us >= "+arg(toMicros(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "at_us < "+arg(toMicros(q.To)))
	}
	limit := pageLimit(q.Limit, 100, 500)
	rows, err := s.db.QueryContext(ctx, `SELECT `+bookmarkColumns+` FROM bookmarks WHERE `+strings.Join(where, " AND ")+
		` ORDER BY at_us DESC, id DESC LIMIT `+arg(limit), args...)
	if err != nil {
		return nil, fmt.Errorf("bookmarks: %w", err)
	}
	return collect(rows, scanBookmark)
}

// BookmarkByID returns one bookmark or ErrNotFound.
func (s *Store) BookmarkByID(ctx context.Context, id int64) (Bookmark, error) {
	b, err := scanBookmark(s.db.QueryRowContext(ctx, `SELECT `+bookmarkColumns+` FROM bookmarks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Bookmark{}, fmt.Errorf("bookmark %d: %w", id, ErrNotFound)
	}
	return b, err
}

// DeleteBookmark removes a bookmark; ErrNotFound if there is none.
func (s *Store) DeleteBookmark(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM bookmarks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete bookmark %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("bookmark %d: %w", id, ErrNotFound)
	}
	return nil
}
