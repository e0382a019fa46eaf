import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { repositoryContract } from './repository-contract';

describe('in-memory repositories (the contract suite)', () => {
  repositoryContract((clock, options) => makeMemoryRepositories({ clock, options }));
});
