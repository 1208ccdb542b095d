package e2e

import (
	"testing"

	"github.com/budgetgw/gateway/internal/testutil"
)

func startRedis(t *testing.T) *testutil.RedisServer { return testutil.StartRedis(t) }
