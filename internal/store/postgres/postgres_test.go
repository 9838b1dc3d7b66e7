package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/vigilhq/vigil/internal/store"
	"github.com/vigilhq/vigil/internal/store/postgres"
	"github.com/vigilhq/vigil/internal/store/storetest"
)

// dsn is the machine's PostgreSQL (trust auth, database test); VIGIL_PG_DSN
// overrides it.
func dsn() string {
	if d := os.Getenv("VIGIL_PG_DSN"); d != "" {
		return d
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func TestConformance(t *testing.T) {
	ctx := context.Background()
	run := fmt.Sprintf("vigil_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) store.Store {
		schema := fmt.Sprintf("%s_%d", run, n.Add(1))
		s, err := postgres.Open(ctx, postgres.Options{DSN: dsn(), Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// Runs after the suite's Close: drop through a plain connection.
			// Not through Open, which would migrate the default schema: that
			// would leave vigil's tables in the shared database, and another
			// vigil version's tests would then find a schema they do not know.
			d, err := sql.Open("pgx", dsn())
			if err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
			defer func() { _ = d.Close() }()
			if err := postgres.DropSchema(ctx, d, schema); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		return s
	})
}
