package ingest

import "testing"

func TestSplitAtDelimiters(t *testing.T) {
	aud := []byte{0, 0, 0, 1, 9, 0xf0}
	idr := []byte{0, 0, 1, 0x65, 1, 2, 3}
	in := append(append(append(append([]byte{0, 0, 1, 0x67, 7}, aud...), idr...), aud...), idr...)
	got := SplitAtDelimiters(in)
	if len(got) != 3 || len(got[0]) != 5 || len(got[1]) != len(aud)+len(idr) || got[2][4] != 9 {
		t.Fatalf("chunks %x: want what precedes the first delimiter, then one chunk a delimiter", got)
	}
	if got := SplitAtDelimiters(nil); len(got) != 0 {
		t.Fatalf("nothing gave %d chunks", len(got))
	}
}
