/** Injected time source. Rules take `now`; services take a Clock. Never call Date.now() in a rule. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
