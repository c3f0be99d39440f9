"""ECR (JSON 1.1): repositories and registry logins, in memory.

Repositories hold no images here (the stand-in has no registry behind it),
so DeleteRepository never meets RepositoryNotEmptyException and `force`
changes nothing, DescribeImages lists none (naming one is
ImageNotFoundException) and BatchDeleteImage reports every image asked for
as ImageNotFound. GetAuthorizationToken hands out one password per server
run, which awsserver.py writes to --ecr-password-file so a test can put it
in a real registry's htpasswd (user AWS) before any client asks.
"""

import base64
import datetime

from aws_errors import AwsError
from paging import page

INVALID = "InvalidParameterException"


class EcrService:
    VALIDATION_ERROR = INVALID
    MAX_REPOSITORIES = 1000  # per account; AWS's default quota is 10,000
    DEFAULT_PAGE = 100
    TOKEN_LIFETIME = datetime.timedelta(hours=12)

    def __init__(self, region, password):
        self._region = region
        self._password = password
        self._repositories = {}  # (account, name) -> Repository shape, typed

    def handlers(self):
        return {
            "CreateRepository": self.create_repository,
            "DescribeRepositories": self.describe_repositories,
            "DeleteRepository": self.delete_repository,
            "GetAuthorizationToken": self.get_authorization_token,
            "DescribeImages": self.describe_images,
            "BatchDeleteImage": self.batch_delete_image,
        }

    def create_repository(self, params, caller):
        account = own_registry(params, caller)
        name = params["repositoryName"]
        if (account, name) in self._repositories:
            raise AwsError("RepositoryAlreadyExistsException",
                           f"The repository with name '{name}' already exists in the registry "
                           f"with id '{account}'")
        if sum(1 for owner, _ in self._repositories if owner == account) >= self.MAX_REPOSITORIES:
            raise AwsError("LimitExceededException",
                           f"The stand-in holds at most {self.MAX_REPOSITORIES} repositories "
                           "per account")
        self._repositories[(account, name)] = {
            "repositoryArn": f"arn:aws:ecr:{self._region}:{account}:repository/{name}",
            "registryId": account,
            "repositoryName": name,
            "repositoryUri": f"{registry_host(account, self._region)}/{name}",
            "createdAt": datetime.datetime.now(datetime.timezone.utc),
            "imageTagMutability": params.get("imageTagMutability", "MUTABLE"),
            "imageScanningConfiguration": params.get("imageScanningConfiguration",
                                                     {"scanOnPush": False}),
            "encryptionConfiguration": params.get("encryptionConfiguration",
                                                  {"encryptionType": "AES256"}),
        }
        return {"repository": self._repositories[(account, name)]}

    def describe_repositories(self, params, caller):
        account = own_registry(params, caller)
        requested = params.get("repositoryNames")
        if requested is None:
            names = sorted(name for owner, name in self._repositories if owner == account)
            names, next_token = page(names, params.get("nextToken"),
                                     params.get("maxResults", self.DEFAULT_PAGE), INVALID)
            result = {"repositories": [self._repositories[(account, n)] for n in names]}
            return {**result, "nextToken": next_token} if next_token else result
        if "maxResults" in params or "nextToken" in params:
            raise AwsError(INVALID, "maxResults and nextToken cannot be used with repositoryNames")
        return {"repositories": [self._get(account, name) for name in requested]}

    def delete_repository(self, params, caller):
        account = own_registry(params, caller)
        repository = self._get(account, params["repositoryName"])
        del self._repositories[(account, repository["repositoryName"])]
        return {"repository": repository}

    def get_authorization_token(self, params, caller):
        token = base64.b64encode(f"AWS:{self._password}".encode()).decode()
        expires = datetime.datetime.now(datetime.timezone.utc) + self.TOKEN_LIFETIME
        return {"authorizationData": [
            {"authorizationToken": token, "expiresAt": expires,
             "proxyEndpoint": f"https://{registry_host(account, self._region)}"}
            for account in params.get("registryIds", [caller.account])]}

    def describe_images(self, params, caller):
        account = own_registry(params, caller)
        name = self._get(account, params["repositoryName"])["repositoryName"]
        for image in params.get("imageIds", [])[:1]:
            raise AwsError("ImageNotFoundException",
                           f"The image with imageId {image_id_text(image)} does not exist within "
                           f"the repository with name '{name}' in the registry with id '{account}'")
        return {"imageDetails": []}

    def batch_delete_image(self, params, caller):
        self._get(own_registry(params, caller), params["repositoryName"])
        # no imageIds: the model gives that list a min of 1, so none deleted means none sent
        return {"failures": [
            {"imageId": image, "failureCode": "ImageNotFound",
             "failureReason": "Requested image not found"} for image in params["imageIds"]]}

    def _get(self, account, name):
        repository = self._repositories.get((account, name))
        if repository is None:
            raise AwsError("RepositoryNotFoundException",
                           f"The repository with name '{name}' does not exist in the registry "
                           f"with id '{account}'")
        return repository


def own_registry(params, caller):
    """The registry a call works on: the caller's own (the stand-in has no
    cross-account policies, so naming another account's is refused)."""
    account = params.get("registryId", caller.account)
    if account != caller.account:
        raise AwsError(INVALID, f"The stand-in serves only the caller's own registry "
                                f"'{caller.account}', not '{account}'")
    return account


def image_id_text(image):
    """An ImageIdentifier as ECR's messages write it."""
    return (f"{{imageDigest:'{image.get('imageDigest', 'null')}', "
            f"imageTag:'{image.get('imageTag', 'null')}'}}")


def registry_host(account, region):
    return f"{account}.dkr.ecr.{region}.amazonaws.com"
