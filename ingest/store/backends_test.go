package store

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// The store's tests run on both backends: a test wraps its body in
// bothBackends, whose subtests are named sqlite and postgres, and
// openTemp opens a new database on the one its subtest names. One
// PostgreSQL server serves the package's tests, a database each.
var postgres struct {
	once   sync.Once
	server *pgtest.Server
	err    error
	dbs    atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if postgres.server != nil {
		postgres.server.Close()
	}
	os.Exit(code)
}

func bothBackends(t *testing.T, test func(t *testing.T)) {
	t.Run("sqlite", test)
	t.Run("postgres", test)
}

func onPostgres(t *testing.T) bool { return strings.Contains(t.Name()+"/", "/postgres/") }

// newPostgresDB makes an empty database and gives its URL.
func newPostgresDB(t *testing.T) string {
	t.Helper()
	postgres.once.Do(func() { postgres.server, postgres.err = pgtest.New() })
	if postgres.err != nil {
		t.Fatal(postgres.err)
	}
	name := fmt.Sprintf("vigil_%d", postgres.dbs.Add(1))
	if err := postgres.server.CreateDB(name); err != nil {
		t.Fatal(err)
	}
	return postgres.server.DSN(name)
}
