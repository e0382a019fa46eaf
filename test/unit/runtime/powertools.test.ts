import { logger, metrics } from '../../../functions/runtime/powertools';

/**
 * Powertools Metrics warns when an invocation flushes no metric, which happens in one process when
 * several invocations share the module's Metrics (the local Step Functions interpreter runs Map
 * iterations at once; the first flush takes every stored metric). The warning goes through our
 * Logger, so its level decides, and a silent logger prints nothing.
 */
describe('Powertools metrics warnings', () => {
  it('go through the Logger, which is silent in tests, not straight to the console', () => {
    // Prepare
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const logged = jest.spyOn(logger, 'warn');
    try {
      // Act: a flush with nothing stored.
      metrics.publishStoredMetrics();

      // Assert
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('No application metrics to publish'));
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      logged.mockRestore();
    }
  });
});
