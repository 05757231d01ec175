package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// maxBodyBytes bounds every request body the API reads.
const maxBodyBytes = 64 << 10

type apiError struct {
	Error  string       `json:"error"`
	Fields []fieldError `json:"fields,omitempty"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeError answers with a JSON error; field errors are listed one by one.
func writeError(w http.ResponseWriter, status int, msg string, err error) {
	body := apiError{Error: msg}
	var fe store.FieldErrors
	if errors.As(err, &fe) {
		for _, e := range fe {
			body.Fields = append(body.Fields, fieldError{Field: e.Field, Message: e.Msg})
		}
	}
	writeJSON(w, status, body)
}

// decodeBody reads one JSON object, strictly: unknown fields and trailing
// data are errors, and the body is bounded.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return fmt.Errorf("request body is larger than %d bytes", maxBodyBytes)
		case errors.Is(err, io.EOF):
			return errors.New("request body is empty: a JSON object is required")
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("invalid JSON: more than one value in the body")
	}
	return nil
}

// failStore answers a store error: 422 with the fields at fault, 404
// (notFound, or the error's own text when ""), 409 for the conflicts
// given, and 500 otherwise (logged: the client learns nothing inside).
func failStore(w http.ResponseWriter, logger *slog.Logger, err error, notFound string, conflicts ...error) {
	var fe store.FieldErrors
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusUnprocessableEntity, "invalid request: "+err.Error(), err)
	case errors.Is(err, store.ErrNotFound):
		if notFound == "" {
			notFound = err.Error()
		}
		writeError(w, http.StatusNotFound, notFound, nil)
	case slices.ContainsFunc(conflicts, func(c error) bool { return errors.Is(err, c) }):
		writeError(w, http.StatusConflict, err.Error(), nil)
	default:
		logger.Error("api request failed", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error; see the service log", nil)
	}
}

// opt is a time for JSON that leaves out the zero time.
func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// pathID reads the numeric id in the path value name, answering 404 for
// what cannot be one ("id: "x" is not a wall id").
func pathID(w http.ResponseWriter, r *http.Request, name, what string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("%s: %q is not %s id", name, r.PathValue(name), what), nil)
		return 0, false
	}
	return id, true
}
