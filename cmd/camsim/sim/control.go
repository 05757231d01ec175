package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxControlBody bounds control API request bodies.
const maxControlBody = 64 << 10

// ControlHandler returns the HTTP control API, for tests that run camsim out of process:
//
//	GET    /faults          current faults: {"cam003":{"drop_every":"30s"}, ...}
//	GET    /faults/cam003   the camera's fault ({} when healthy)
//	PUT    /faults/cam003   replace the camera's fault; body is a JSON Fault
//	                        ({"stall_for":"5s","stall_every":"60s"}) or, with a non-JSON
//	                        content type, options text ("stall=5s/60s,corrupt=0.01")
//	DELETE /faults/cam003   clear the camera's fault
//	GET    /stats           per-camera counters (PTZ cameras: position and moves)
//	GET    /cameras         camera names, stream URLs, ONVIF device service URLs, PTZ or not
//
// It has no authentication: serve it on loopback only.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.CurrentFaults())
	})
	mux.HandleFunc("GET /faults/{camera}", func(w http.ResponseWriter, r *http.Request) {
		c := s.byName[r.PathValue("camera")]
		if c == nil {
			httpError(w, http.StatusNotFound, ErrNoCamera)
			return
		}
		writeJSON(w, http.StatusOK, c.currentFault())
	})
	mux.HandleFunc("PUT /faults/{camera}", func(w http.ResponseWriter, r *http.Request) {
		camera := r.PathValue("camera")
		if s.byName[camera] == nil {
			httpError(w, http.StatusNotFound, ErrNoCamera)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
		if err != nil {
			httpError(w, http.StatusRequestEntityTooLarge, err)
			return
		}
		f, err := parseFaultBody(r.Header.Get("Content-Type"), body)
		if err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		if err := s.SetFault(camera, f); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
		writeJSON(w, http.StatusOK, f)
	})
	mux.HandleFunc("DELETE /faults/{camera}", func(w http.ResponseWriter, r *http.Request) {
		camera := r.PathValue("camera")
		if s.byName[camera] == nil {
			httpError(w, http.StatusNotFound, ErrNoCamera)
			return
		}
		s.ClearFault(camera)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /cameras", func(w http.ResponseWriter, _ *http.Request) {
		type cam struct {
			Name  string `json:"name"`
			Main  string `json:"main"`
			Sub   string `json:"sub"`
			ONVIF string `json:"onvif,omitempty"` // device service URL
			PTZ   bool   `json:"ptz,omitempty"`
		}
		out := make([]cam, len(s.cameras))
		for i, c := range s.cameras {
			out[i] = cam{Name: c.name, Main: s.URL(i+1, StreamMain), Sub: s.URL(i+1, StreamSub),
				ONVIF: s.ONVIFURL(i + 1), PTZ: c.ptz != nil}
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

// parseFaultBody decodes a PUT body: JSON when the content type says so or the body starts
// with '{', options text otherwise. The fault is validated.
func parseFaultBody(contentType string, body []byte) (Fault, error) {
	var f Fault
	text := strings.TrimSpace(string(body))
	if strings.HasPrefix(contentType, "application/json") || strings.HasPrefix(text, "{") {
		if err := json.Unmarshal(body, &f); err != nil {
			return Fault{}, err
		}
		return f, f.Validate()
	}
	if text == "" {
		return Fault{}, errors.New("empty body: send a JSON fault or options like drop=30s")
	}
	err := ParseFaultOptions(text, &f)
	return f, err
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // the client went away
}

func httpError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (s *Server) startControl() error {
	ln, err := net.Listen("tcp", s.ControlListen)
	if err != nil {
		return err
	}
	s.ctrlLn = ln
	srv := &http.Server{
		Handler:           s.ControlHandler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
	}
	done := make(chan struct{})
	s.ctrl, s.ctrlDone = srv, done
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("camsim: control API stopped", "error", err)
		}
	}()
	s.Logger.Info("camsim: control API", "addr", "http://"+ln.Addr().String())
	return nil
}

// ControlAddr returns the control API's address ("" when it is not served).
func (s *Server) ControlAddr() string {
	if s.ctrlLn == nil {
		return ""
	}
	return s.ctrlLn.Addr().String()
}
