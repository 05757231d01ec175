package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vigil-cctv/vigil/evidence/bundle"
)

// readmeText is README.txt: what the officer holds and how to check it.
func readmeText(b *builder) []byte {
	var w bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\r\n", a...) }
	p("VIGIL CCTV EVIDENCE EXPORT")
	p("==========================")
	p("")
	p("Crime reference: %s", b.r.CrimeRef)
	p("Officer:         %s", b.r.Officer)
	p("Reason:          %s", b.r.Reason)
	p("Export id:       %s", b.res.ID)
	p("Created:         %s (%s)", bundle.FormatTime(b.now), local(b.now))
	p("Footage:         %s to %s", local(b.r.From), local(b.r.To))
	p("                 (%s to %s UTC)", bundle.FormatTime(b.r.From), bundle.FormatTime(b.r.To))
	p("Cameras:")
	var masked []string
	for _, c := range b.cameras {
		p("  %s  %s  %s  (clock offset from the server %.1f ms, measured from %s%s)", c.ID, c.Name, c.Site, c.ClockOffsetMS, c.ClockSource, measured(c))
		if len(c.PrivacyMasks) > 0 {
			masked = append(masked, c.ID)
		}
	}
	p("")
	if len(masked) > 0 {
		p("PRIVACY MASKS: %s", strings.Join(masked, ", "))
		p("  These cameras have privacy masks: areas that must never be shown (private")
		p("  windows, gardens), listed in manifest.json under privacy_masks. Their")
		p("  working copies have those areas painted black (re-encoded for that); their")
		p("  masters are native and DO show them (marked contains_masked_areas). Disclose")
		p("  a master only where the masked areas may lawfully be seen.")
		p("")
	}
	p("WHAT IS IN THIS FOLDER")
	p("  media/      THE MASTER. The recorded segments exactly as the recorder sealed")
	p("              them (fragmented MP4, H.264 as the camera sent it). Do not edit.")
	p("  working/    WORKING COPIES. One ordinary MP4 per camera, cut to the requested")
	p("              time range, for viewing in any player. Made from the master.")
	p("  manifest.json  What was exported, for whom and why, with every file's SHA-256.")
	p("  manifest.sig   The council's signature over manifest.json.")
	p("  checkpoint     The council's signed statement of its evidence log at export.")
	p("  custody.log    The log entries about this footage: when each segment was")
	p("                 sealed, who viewed, held or exported it, and this export.")
	p("  proofs/        Proof that each custody.log entry is in the signed log.")
	p("  SHA256SUMS     SHA-256 of every file (sha256sum -c SHA256SUMS, or certutil).")
	p("  verify/        The verifier program for Linux, Windows and macOS.")
	if len(b.missing) > 0 {
		p("                 (Not included in this export: %s. Build it from the Vigil", strings.Join(b.missing, ", "))
		p("                 source: go build ./cmd/vigil-verify.)")
	}
	p("")
	p("HOW TO VERIFY (no network needed)")
	p("  1. Obtain the council's public key through a trusted channel (not from this")
	p("     folder): a line starting %q.", b.x.Log.Origin+"+")
	p("     Save it as council.pub.")
	p("  2. Run the verifier for your computer on this folder:")
	p("       Windows:  verify\\windows-amd64\\vigil-verify.exe -key council.pub .")
	p("       Linux:    verify/linux-amd64/vigil-verify -key council.pub .")
	p("       macOS:    verify/darwin-arm64/vigil-verify -key council.pub .")
	p("  3. It checks every file, the signatures, and that every segment and this")
	p("     export are in the council's signed log. It says VERIFIED and exits 0 only")
	p("     when everything holds; any change to any file makes it fail and say where.")
	p("  4. If you hold a checkpoint from an earlier export, add -prior FILE: the")
	p("     verifier then also proves the log was not rewritten since.")
	p("")
	p("Times are recorded in UTC; local times are Europe/London (GMT or BST).")
	p("The format is specified in docs/evidence-format.md of the Vigil source.")
	return w.Bytes()
}

// measured says when a camera's clock offset was measured, and its range
// over the footage when it changed.
func measured(c bundle.Camera) string {
	out := ""
	if t, err := bundle.ParseTime(c.ClockOffsetAt); err == nil && c.ClockOffsetAt != "" {
		out = " at " + local(t)
	}
	if r := c.ClockOffsetRangeMS; len(r) == 2 {
		out += fmt.Sprintf("; %.1f to %.1f ms over the footage", r[0], r[1])
	}
	return out
}
