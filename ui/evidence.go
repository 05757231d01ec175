package ui

import (
	"net/http"
	"strconv"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// Checkpoints is what the API publishes of the evidence log (*locker.Log):
// police keep checkpoints and check later exports against them.
type Checkpoints interface {
	LastCheckpoint() (evidence.Checkpoint, []byte)
	ConsistencyProofFile(old int64) ([]byte, error)
	PublicKeyText() (string, error)
}

type evidenceAPI struct{ log Checkpoints }

// The key is public: anyone may check an export with it (police should
// still get it out of band). Checkpoints and proofs need a signed-in user.
func (a *evidenceAPI) routes(rt *router) {
	rt.handle("GET /api/v1/evidence/checkpoint", allow(auth.EvidenceRead), a.checkpoint)
	rt.handle("GET /api/v1/evidence/key", public, a.key)
	rt.handle("GET /api/v1/evidence/consistency", allow(auth.EvidenceRead), a.consistency)
}

// checkpoint serves the last signed checkpoint (a C2SP signed note).
func (a *evidenceAPI) checkpoint(w http.ResponseWriter, _ *http.Request) {
	_, signed := a.log.LastCheckpoint()
	if signed == nil {
		writeError(w, http.StatusServiceUnavailable, "no checkpoint signed yet", nil)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(signed)
}

// key serves the council's verifier key. Police must still get it out of
// band: this is for the council's own checks and tooling.
func (a *evidenceAPI) key(w http.ResponseWriter, _ *http.Request) {
	k, err := a.log.PublicKeyText()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error", err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(k + "\n"))
}

// consistency serves a proof that the last checkpoint extends the tree of
// size ?old= (a checkpoint someone kept): vigil-verify -prior checks it.
func (a *evidenceAPI) consistency(w http.ResponseWriter, r *http.Request) {
	old, err := strconv.ParseInt(r.URL.Query().Get("old"), 10, 64)
	if err != nil || old < 0 {
		writeError(w, http.StatusBadRequest, "old: the tree size of the checkpoint you hold (a number)", nil)
		return
	}
	p, err := a.log.ConsistencyProofFile(old)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(p)
}
