// @stdlib/stats has no package "exports", so Node's ES-module loader needs the file path; its own
// declarations (docs/types) describe the same function.
declare module '@stdlib/stats/base/dists/normal/quantile/lib/index.js' {
  import quantile = require('@stdlib/stats/base/dists/normal/quantile/docs/types/index');
  export default quantile;
}
declare module '@stdlib/stats/base/dists/normal/cdf/lib/index.js' {
  import cdf = require('@stdlib/stats/base/dists/normal/cdf/docs/types/index');
  export default cdf;
}
declare module '@stdlib/stats/base/dists/t/quantile/lib/index.js' {
  import quantile = require('@stdlib/stats/base/dists/t/quantile/docs/types/index');
  export default quantile;
}
