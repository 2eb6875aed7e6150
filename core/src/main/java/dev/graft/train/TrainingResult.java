package dev.graft.train;

import java.util.List;
import java.util.Map;

/**
 * What a training run produced.
 *
 * @param finalMetrics  evaluation metrics of the selected (best) parameters, empty without evaluation data
 * @param bestStep      the update whose parameters were kept (the last one without evaluation data)
 * @param steps         updates made
 * @param seconds       wall time of the training loop
 * @param examplesPerSecond training examples processed per second
 * @param history       every evaluation: step and metrics
 * @param tokensPerSecond real (unpadded) training tokens processed per second
 */
public record TrainingResult(Map<String, Double> finalMetrics, long bestStep, long steps, double seconds,
                             double examplesPerSecond, List<Map<String, Object>> history, double tokensPerSecond) {
}
