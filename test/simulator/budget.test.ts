import { describe, expect, it } from 'vitest';
import { ServiceBudget } from '../../dev/simulator/limits.js';

/** A budget on a clock the test moves by hand. */
function budgetAt(ratePerSecond: number, maxDelayMs: number): { budget: ServiceBudget; advance: (ms: number) => void } {
  let now = 0;
  return { budget: new ServiceBudget(ratePerSecond, maxDelayMs, () => now), advance: (ms) => (now += ms) };
}

describe('ServiceBudget (the simulator’s per-service rate limit)', () => {
  it('within the budget (a full second of it at once) answers without delay', () => {
    const { budget } = budgetAt(10, 2000);
    for (let i = 0; i < 10; i += 1) expect(budget.take()).toEqual({ ok: true });
    expect(budget.answerDelayMs()).toBe(0);
  });

  it('past the budget still answers, later the further over it the client is (Exchange’s micro delay)', () => {
    const { budget } = budgetAt(10, 2000);
    for (let i = 0; i < 10; i += 1) budget.take();
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      expect(budget.take().ok).toBe(true);
      delays.push(budget.answerDelayMs());
    }
    expect(delays).toEqual([100, 200, 300, 400, 500]);
  });

  it('refuses only past the higher mark, saying when the wait would be acceptable; a refusal adds no delay', () => {
    const { budget } = budgetAt(10, 2000);
    for (let i = 0; i < 30; i += 1) expect(budget.take().ok).toBe(true); // 20 over: 2 s of delay
    expect(budget.answerDelayMs()).toBe(2000);

    const refused = budget.take();

    expect(refused.ok).toBe(false);
    expect(refused.ok ? 0 : refused.waitMs).toBeCloseTo(100, 6);
    expect(budget.answerDelayMs()).toBe(2000);
  });

  it('pays the delay back at the budget’s rate', () => {
    const { budget, advance } = budgetAt(10, 2000);
    for (let i = 0; i < 20; i += 1) budget.take();
    advance(600);
    expect(budget.answerDelayMs()).toBeCloseTo(400, 6);
    advance(400);
    expect(budget.answerDelayMs()).toBe(0);
    expect(budget.take()).toEqual({ ok: true });
  });

  it('with no delay allowed (Graph) is a plain token bucket: over the budget is 429 at once', () => {
    const { budget, advance } = budgetAt(10, 0);
    for (let i = 0; i < 10; i += 1) budget.take();

    const refused = budget.take();

    expect(refused).toEqual({ ok: false, waitMs: 100 });
    expect(budget.answerDelayMs()).toBe(0);
    advance(100);
    expect(budget.take()).toEqual({ ok: true });
  });
});
