/**
 * connfit as a library: the data path of the CLI, one import. Recording → fit (rate-function loss) →
 * fit file → predictions; call `initBackend()` once before any tensor work.
 */
export { initBackend, activeBackend } from './backend.js';
export { readRecording } from './recording/read.js';
export { writeRecording, writeRecordingCsv, writeRecordingJson, writeRecordingNpy } from './recording/write.js';
export { binSpikeTrains, readSpikeTrains, type BinnedSpikes, type SpikeTrain } from './recording/spikes.js';
export type { Recording } from './recording/types.js';
export { fitRecording, type FitOptions, type FitResult } from './fit/fit.js';
export { fitLowRank } from './fit/lowRank.js';
export { fitMultiregion, multiregionFitResult } from './fit/multiregion.js';
export { lowRankNetworkBootstrap, multiregionNetworkBootstrap, networkBootstrap, withNetworkBootstrap } from './fit/networkBootstrap.js';
export { buildFitFile } from './fitfile/build.js';
export { FitFileSchema, readFitFile, writeFitFile, type FitFile } from './fitfile/schema.js';
export { simulate } from './simulate/simulate.js';
export { maximalLyapunovExponent } from './simulate/lyapunov.js';
export { couplingNetwork, iidNetwork, networkFromPopulations } from './simulate/network.js';
export { centred, readConnectome, type Connectome } from './connectome/connectome.js';
export { readCouplingFile } from './connectome/couplingFile.js';
export { alignConnectome, fitWithConnectome, type ConnectomeFitResult } from './fit/connectome.js';
export { connectomeNetworkBootstrap, withConnectomeBootstrap, type ConnectomeCalibration } from './fit/connectomeBootstrap.js';
export { participationRatio, matrixSpectrumStats } from './statistics/dimension.js';
export { participationRatioTheory, prFiniteSizeNote } from './theory/participation.js';
export { populationParticipationRatio } from './theory/participationPopulations.js';
export { meanFieldLyapunov } from './theory/lyapunov.js';
export { solveStationary, chaosThreshold } from './theory/dmft.js';
export { effectiveRankFromActivity, effectiveRankFromCouplings, effectiveRankOfFit } from './structure/effectiveRank.js';
export { evaluateForecast, forecastUnits } from './predict/forecast.js';
export { predictReport, type PredictReport } from './report/predict.js';
export { unitMeanStatistics } from './statistics/unitMeans.js';
