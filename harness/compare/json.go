package compare

import (
	"encoding/json"
	"io"
	"math"
)

// Schema names the JSON format WriteJSON writes. Fields may be added
// within v1, never renamed, removed or changed in meaning.
const Schema = "lightning.lbench.compare/v1"

// jsonResult is the JSON form of a Result (see the package documentation).
type jsonResult struct {
	Schema     string             `json:"schema"`
	Headline   string             `json:"headline"`
	Regressed  bool               `json:"regressed"`
	Counts     map[string]int     `json:"counts"`
	Mode       string             `json:"mode"`
	Reference  string             `json:"reference,omitempty"`
	Alpha      float64            `json:"alpha"`
	MinEffect  float64            `json:"min_effect"`
	Confidence float64            `json:"confidence"`
	Resamples  int                `json:"resamples"`
	Seed       uint64             `json:"seed"`
	Metrics    []Metric           `json:"metrics"`
	GeoMean    map[string]float64 `json:"geomean_ratio"`
	*Result
}

// WriteJSON writes r as indented JSON in the Schema format.
func WriteJSON(w io.Writer, r *Result) error {
	o := r.Options
	j := jsonResult{Schema: Schema, Headline: r.Headline(), Regressed: r.Regressed(),
		Counts: map[string]int{}, Mode: "absolute", Reference: o.Reference,
		Alpha: o.Alpha, MinEffect: o.MinEffect, Confidence: o.Confidence, Resamples: o.Resamples, Seed: o.Seed,
		Metrics: o.Metrics, GeoMean: map[string]float64{}}
	c := *r // lists as [], not null
	for _, l := range []*[]string{&c.OnlyBaseline, &c.OnlyNew, &c.Notes, &c.Baseline.Commits, &c.New.Commits,
		&c.Baseline.Machines, &c.New.Machines, &c.Baseline.Files, &c.New.Files} {
		if *l == nil {
			*l = []string{}
		}
	}
	if c.Rows == nil {
		c.Rows = []Row{}
	}
	j.Result = &c
	if r.RatioMode() {
		j.Mode = "ratio"
	}
	for _, v := range []Verdict{NoChange, Regression, Improvement, TooFewRuns} {
		j.Counts[v.String()] = r.Count(v)
	}
	for _, m := range o.Metrics {
		if g, ok := r.GeoMeanRatio(m); ok && !math.IsInf(g, 0) {
			j.GeoMean[m.String()] = g
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(j)
}
