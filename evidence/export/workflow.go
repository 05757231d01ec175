package export

import (
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// Approved is the export of an approved police request. The workflow has
// logged the request and the approval already.
func Approved(x store.ExportRequest) Request {
	return Request{ID: x.ID, Cameras: x.Cameras, From: x.Start, To: x.End, CrimeRef: x.CrimeRef, Officer: x.Officer,
		Reason: x.Reason, RequestedBy: x.RequestedBy, ApprovedBy: x.DecidedBy, Logged: true}
}

// ExpiredEntry records a request nobody decided within maxAge: the
// workflow sweeper and a late decision both log it, the same way.
func ExpiredEntry(x store.ExportRequest, maxAge time.Duration) *evidence.Entry {
	return &evidence.Entry{Action: evidence.ActionExportExpired, Actor: evidence.ActorWorkflow,
		Camera: OneCamera(x.Cameras), From: x.Start, To: x.End, Ref: "export/" + x.ID,
		Detail: fmt.Sprintf("crime reference %s; not decided within %v", x.CrimeRef, maxAge)}
}

// OneCamera is the camera field of an export's log entries: the camera
// when there is one, empty for several (the detail lists them).
func OneCamera(cams []string) string {
	if len(cams) == 1 {
		return cams[0]
	}
	return ""
}
