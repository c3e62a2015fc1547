// Command keda-scaler-probe runs KEDA's own PostgreSQL scaler (the package the KEDA operator and its metrics
// adapter run, at the pinned KEDA release) against a live database: the tests use it to check that the
// ScaledObject's query and connection URL from dist/ work through PgBouncer as KEDA uses them.
//
// Usage: keda-scaler-probe -connection URL -query SQL [-target N] [-scalers N] [-rounds N]
//
// It prints one JSON object: the metric value of every call, and each failed call's error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"
)

type report struct {
	Calls  int      `json:"calls"`
	Values []int64  `json:"values"`
	Errors []string `json:"errors"`
}

func main() {
	connection := flag.String("connection", "", "the ScaledObject's connection URL (TriggerAuthentication parameter `connection`)")
	query := flag.String("query", "", "the ScaledObject's query")
	target := flag.Float64("target", 1, "targetQueryValue")
	// The operator and the metrics adapter each hold their own scaler, so each has its own connection pool.
	count := flag.Int("scalers", 2, "scaler instances, each with its own connections, taking turns")
	rounds := flag.Int("rounds", 20, "calls per scaler")
	flag.Parse()
	if *connection == "" || *query == "" {
		fmt.Fprintln(os.Stderr, "keda-scaler-probe: -connection and -query are required")
		os.Exit(2)
	}
	ctx := context.Background()
	var instances []scalers.Scaler
	for i := 0; i < *count; i++ {
		s, err := scalers.NewPostgreSQLScaler(ctx, &scalersconfig.ScalerConfig{
			TriggerMetadata: map[string]string{"query": *query, "targetQueryValue": strconv.FormatFloat(*target, 'f', -1, 64)},
			AuthParams:      map[string]string{"connection": *connection},
			TriggerIndex:    i,
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "keda-scaler-probe: scaler %d: %v\n", i, err)
			os.Exit(1)
		}
		defer s.Close(ctx)
		instances = append(instances, s)
	}
	r := report{Values: []int64{}, Errors: []string{}}
	for round := 0; round < *rounds; round++ {
		for _, s := range instances {
			r.Calls++
			metrics, _, err := s.GetMetricsAndActivity(ctx, "probe")
			if err != nil {
				r.Errors = append(r.Errors, err.Error())
				continue
			}
			for _, m := range metrics {
				r.Values = append(r.Values, m.Value.Value())
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		os.Exit(1)
	}
}
