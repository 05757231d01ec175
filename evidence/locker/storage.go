package locker

// storage keeps a log's entries and its last signed checkpoint: a
// directory on one node's disk (fileStorage), or PostgreSQL shared by the
// nodes of a cluster (sharedStorage). The Log keeps the tree, the chain
// checks, signing and group commit; storage only keeps bytes.
type storage interface {
	// load passes the stored entries from seq from on, in order, to fn.
	load(from int64, fn func(raw []byte) error) error
	// write stores raws as entries first, first+1, ... durably: all or none.
	write(first int64, raws [][]byte) error
	// read returns entry seq's canonical bytes (a copy).
	read(seq int64) ([]byte, error)
	// loadCheckpoint returns the last signed checkpoint note, nil if none.
	loadCheckpoint() ([]byte, error)
	// saveCheckpoint stores a signed checkpoint note of a tree of size.
	saveCheckpoint(size int64, note []byte) error
	// where names the storage in errors.
	where() string
	close() error
}
