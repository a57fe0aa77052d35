// Minimal types for the parts of autocannon the benchmark uses (the package ships none).
declare module 'autocannon' {
  interface Options { url: string; headers?: Record<string, string>; connections?: number; overallRate?: number; connectionRate?: number; duration?: number }
  interface Result { latency: { p50: number; p99: number; average: number }; requests: { average: number }; errors: number; non2xx: number }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
