import { makeDynamoRepositories } from '../../../shared/data/repositories';
import { useDynamo } from '../../helpers/dynamo';
import { repositoryContract } from '../../unit/data/repository-contract';

jest.setTimeout(120_000);

describe('DynamoDB repositories (the contract suite)', () => {
  const dynamo = useDynamo('repos');
  repositoryContract((clock, options) => {
    const { client, names } = dynamo();
    return makeDynamoRepositories({ client, names, clock, options });
  });
});
