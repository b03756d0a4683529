import { describe, expect, it } from 'vitest';
import { metricNamesIn } from '../support/promql';

describe('metricNamesIn (the metric names a PromQL expression reads)', () => {
  it('skips functions, keywords, label names, strings and durations', () => {
    expect(metricNamesIn('sum by (route) (rate(doorstep_http_requests_total{status_code=~"5.."}[5m])) / sum(rate(doorstep_http_requests_total[5m])) > 0.02'))
      .toEqual(['doorstep_http_requests_total']);
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le) (rate(x_bucket{task_queue="doorstep"}[5m]))) > 30 or absent(y{a="b"}) and time() - z offset 1d > 900'))
      .toEqual(['x_bucket', 'y', 'z']);
    expect(metricNamesIn('up{job="doorstep-api"} == 0')).toEqual(['up']);
  });
});
