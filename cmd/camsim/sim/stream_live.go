package sim

import (
	"time"
)

// runLive sends a PTZ camera's live access units as they come from its encoder, with the same
// faults, sender reports and counters as a clip stream. The encoder paces them; frame n's RTP
// timestamp is its capture time on the stream's clock.
func (r *streamRunner) runLive() {
	var au accessUnit
	for {
		var lau liveAU
		select {
		case <-r.terminate:
			return
		case lau = <-r.live.aus:
		}
		pkts, err := r.packer.Encode(lau.nalus)
		if err != nil {
			r.writeErrs.add(err, "stream", r.name)
			continue
		}
		au = accessUnit{idr: lau.idr, payloads: au.payloads[:0], size: 0}
		for _, p := range pkts {
			au.payloads = append(au.payloads, p.Payload)
			au.size += len(p.Payload)
		}
		now := time.Now()
		if r.readers.Load() == 0 {
			r.syncFaults(now, false)
			if au.idr {
				r.prime(&au, lau.n, lau.at)
			}
			continue
		}
		r.sendAU(&au, lau.n, lau.at, now)
	}
}
