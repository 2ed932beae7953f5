import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text } from '@mantine/core';

/**
 * A secret the API gives once (an API token, a webhook's signing secret):
 * shown in this modal with a copy button; closing it drops the secret for good.
 */
export function SecretOnceModal({ title, label, secret, onClose }: { title: string; label: string; secret: string | null; onClose: () => void }) {
  return (
    <Modal opened={secret !== null} onClose={onClose} title={title} size="lg" closeOnClickOutside={false}>
      {secret !== null && (
        <Stack>
          <Alert color="yellow" title="Copy it now">
            This is the only time Sluice shows it: it is not stored in a readable form and cannot be shown again.
          </Alert>
          <Text size="sm" fw={500}>
            {label}
          </Text>
          <Code block data-testid="secret-once" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
            {secret}
          </Code>
          <Group justify="space-between">
            <CopyButton value={secret}>
              {({ copied, copy }) => (
                <Button variant="light" color={copied ? 'teal' : 'blue'} onClick={copy}>
                  {copied ? 'Copied' : 'Copy'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
